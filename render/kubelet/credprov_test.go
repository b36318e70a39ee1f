package kubelet

import (
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	kubeletconfigv1 "k8s.io/kubelet/config/v1"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/internal/realbin"
)

// credProvCluster has providers at the cluster level, a group replacing them (and the bin
// dir), a host removing them, and a dedicated etcd host whose standalone kubelet keeps them.
const credProvCluster = `
apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
etcd: {topology: dedicated}
kubelet:
  imageCredentialProviders:
    - name: ecr-credential-provider
      matchImages: ["*.dkr.ecr.*.amazonaws.com", "registry.example.com:5000/team"]
      defaultCacheDuration: 12h
      args: [get-credentials, "--x: y", "{providers: []}", "'; rm -rf / #", '"quoted"', "- item", "&a *b", "!!binary AAAA", "---", "#"]
      env: {AWS_PROFILE: nodes, B_EMPTY: "", A_YAML: "a: b # c"}
groups:
  onprem:
    kubelet:
      imageCredentialProviderBinDir: /opt/credential-providers
      imageCredentialProviders:
        - {name: registry-login, matchImages: ["*.registry.example.com"], defaultCacheDuration: 0s, apiVersion: credentialprovider.kubelet.k8s.io/v1beta1}
hosts:
  - {name: cp1, addresses: [10.0.0.1], roles: [control-plane]}
  - {name: e1, addresses: [10.0.0.5], roles: [etcd]}
  - {name: w1, addresses: [10.0.0.2], roles: [worker], group: onprem}
  - {name: w2, addresses: [10.0.0.3], roles: [worker], kubelet: {imageCredentialProviders: []}}
`

const defaultBinDir = "/usr/libexec/kubernetes/kubelet-plugins/credential-provider/exec"

// decodeCredentialProviderConfig decodes the file as the kubelet's scheme would, strictly
// (unknown or duplicate fields, wrong types, a wrong apiVersion or kind), and again with
// sigs.k8s.io/yaml's UnmarshalStrict into the official type.
func decodeCredentialProviderConfig(t *testing.T, data []byte) *kubeletconfigv1.CredentialProviderConfig {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := kubeletconfigv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	obj, gvk, err := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer().Decode(data, nil, nil)
	if err != nil {
		t.Fatalf("strict decode: %v\n%s", err, data)
	}
	viaScheme, ok := obj.(*kubeletconfigv1.CredentialProviderConfig)
	if !ok || gvk.Kind != "CredentialProviderConfig" || gvk.GroupVersion() != kubeletconfigv1.SchemeGroupVersion {
		t.Fatalf("decoded %v (%T), want a kubelet.config.k8s.io/v1 CredentialProviderConfig", gvk, obj)
	}
	var cfg kubeletconfigv1.CredentialProviderConfig
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		t.Fatalf("UnmarshalStrict: %v\n%s", err, data)
	}
	viaScheme.TypeMeta = cfg.TypeMeta // the scheme's decoder clears it
	if !reflect.DeepEqual(&cfg, viaScheme) {
		t.Errorf("the two decodings differ:\n%+v\n%+v", cfg, viaScheme)
	}
	return &cfg
}

// providerFlags returns the credential provider flags among a kubelet's arguments.
func providerFlags(args []string) []string {
	var out []string
	for _, a := range args {
		if strings.HasPrefix(a, "--image-credential-provider-") {
			out = append(out, a)
		}
	}
	return out
}

// kubeletArgs returns the host's kubelet arguments kubeforge writes: kubeadm-flags.env, or a
// dedicated etcd host's ExecStart.
func kubeletArgs(t *testing.T, c *compiler.Cluster, h *compiler.Host, b *artifact.Bundle) []string {
	t.Helper()
	if !c.EtcdOnly(h) {
		return envArgs(t, lookup(t, b, compiler.KubeletEnvPath).Data)
	}
	a := lookup(t, b, compiler.KubeletEtcdServiceManagerDropInPath)
	for _, l := range strings.Split(string(a.Data), "\n") {
		if rest, ok := strings.CutPrefix(l, "ExecStart="+compiler.KubeletBinary); ok {
			return strings.Fields(rest)
		}
	}
	t.Fatalf("%s: no ExecStart: %s", h.Name, a.Data)
	return nil
}

func TestCredentialProviderConfig(t *testing.T) {
	c := compilertest.LoadYAML(t, credProvCluster)
	ecr := kubeletconfigv1.CredentialProvider{
		Name:        "ecr-credential-provider",
		MatchImages: []string{"*.dkr.ecr.*.amazonaws.com", "registry.example.com:5000/team"},
		APIVersion:  "credentialprovider.kubelet.k8s.io/v1",
		// Strings a template would have broken the YAML with come back as written.
		Args: []string{"get-credentials", "--x: y", "{providers: []}", "'; rm -rf / #", `"quoted"`, "- item", "&a *b", "!!binary AAAA", "---", "#"},
		// Sorted by name: the file is the same whatever the description's key order.
		Env: []kubeletconfigv1.ExecEnvVar{{Name: "AWS_PROFILE", Value: "nodes"}, {Name: "A_YAML", Value: "a: b # c"}, {Name: "B_EMPTY", Value: ""}},
	}
	login := kubeletconfigv1.CredentialProvider{
		Name: "registry-login", MatchImages: []string{"*.registry.example.com"}, APIVersion: "credentialprovider.kubelet.k8s.io/v1beta1",
	}
	want := map[string]struct {
		providers []kubeletconfigv1.CredentialProvider
		cache     []time.Duration
		binDir    string
		source    string
	}{
		"cp1": {[]kubeletconfigv1.CredentialProvider{ecr}, []time.Duration{12 * time.Hour}, defaultBinDir, "kubelet.imageCredentialProviders"},
		"e1":  {[]kubeletconfigv1.CredentialProvider{ecr}, []time.Duration{12 * time.Hour}, defaultBinDir, "kubelet.imageCredentialProviders"},
		"w1":  {[]kubeletconfigv1.CredentialProvider{login}, []time.Duration{0}, "/opt/credential-providers", "groups.onprem.kubelet.imageCredentialProviders"},
		"w2":  {},
	}
	for _, h := range c.Hosts {
		w := want[h.Name]
		b := render(t, c, h)
		a, ok := b.Lookup(compiler.CredentialProviderConfigPath)
		flags := providerFlags(kubeletArgs(t, c, h, b))
		if len(w.providers) == 0 {
			if ok || len(flags) > 0 {
				t.Errorf("%s: no providers, yet file %t, flags %q", h.Name, ok, flags)
			}
			continue
		}
		if !ok {
			t.Fatalf("%s: no %s", h.Name, compiler.CredentialProviderConfigPath)
		}
		if a.Mode != 0o644 || a.Secret || !a.Effects.Has(artifact.RestartKubelet) || !slices.Equal(a.Sources, []string{w.source}) {
			t.Errorf("%s: mode %o secret %t effects %v sources %q", h.Name, a.Mode, a.Secret, a.Effects, a.Sources)
		}
		cfg := decodeCredentialProviderConfig(t, a.Data)
		if len(cfg.Providers) != len(w.providers) {
			t.Fatalf("%s: %d providers, want %d", h.Name, len(cfg.Providers), len(w.providers))
		}
		for i, p := range cfg.Providers {
			if p.DefaultCacheDuration == nil || p.DefaultCacheDuration.Duration != w.cache[i] {
				t.Errorf("%s: provider %d: defaultCacheDuration %v, want %v", h.Name, i, p.DefaultCacheDuration, w.cache[i])
			}
			p.DefaultCacheDuration = nil
			if !reflect.DeepEqual(p, w.providers[i]) {
				t.Errorf("%s: provider %d:\n%+v\nwant\n%+v", h.Name, i, p, w.providers[i])
			}
		}
		wantFlags := []string{"--image-credential-provider-bin-dir=" + w.binDir, "--image-credential-provider-config=" + compiler.CredentialProviderConfigPath}
		if !slices.Equal(flags, wantFlags) {
			t.Errorf("%s: flags %q, want %q", h.Name, flags, wantFlags)
		}
	}
}

// The examples without providers keep their files: no credential provider file or flag.
func TestNoCredentialProvidersWithoutThem(t *testing.T) {
	for _, name := range []string{"ha", "single-node", "dedicated-etcd"} {
		c := loadExample(t, name)
		for _, h := range c.Hosts {
			b := render(t, c, h)
			if _, ok := b.Lookup(compiler.CredentialProviderConfigPath); ok {
				t.Errorf("%s/%s: credential provider config without providers", name, h.Name)
			}
			if f := providerFlags(kubeletArgs(t, c, h, b)); len(f) > 0 {
				t.Errorf("%s/%s: flags %q without providers", name, h.Name, f)
			}
		}
	}
}

// The real kubelet knows the flags, and has no KubeletConfiguration field that deprecates them.
func TestCredentialProviderFlagsKnownToKubelet(t *testing.T) {
	bin := realbin.Path(t, "kubelet")
	help, err := exec.Command(bin, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("kubelet --help: %v", err)
	}
	c := compilertest.LoadYAML(t, credProvCluster)
	for _, arg := range providerFlags(kubeletArgs(t, c, c.Hosts[0], render(t, c, c.Hosts[0]))) {
		name, _, _ := strings.Cut(arg, "=")
		if !strings.Contains(string(help), " "+name+" ") {
			t.Errorf("kubelet --help does not know %s", name)
		}
		if strings.Contains(helpLine(string(help), name), "DEPRECATED") {
			t.Errorf("the kubelet deprecates %s: use its KubeletConfiguration field where the minor has one", name)
		}
	}
}

// helpLine returns the line of --help describing flag.
func helpLine(help, flag string) string {
	for _, l := range strings.Split(help, "\n") {
		if strings.Contains(l, " "+flag+" ") {
			return l
		}
	}
	return ""
}
