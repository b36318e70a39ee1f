package apiserversec

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	psav1 "k8s.io/pod-security-admission/admission/api/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
)

const admissionAuthnCluster = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
kubernetesVersion: "1.37"
apiServer:
  extraArgs: {enable-admission-plugins: "NodeRestriction,AlwaysPullImages"}
  admission:
    podSecurity: {enforce: {level: baseline}, warn: {level: restricted, version: v1.35}, exemptions: {usernames: ["system:serviceaccount:ci:deployer"]}}
    eventRateLimit: {limits: [{type: Server, qps: 50, burst: 100}, {type: Namespace, qps: 10, burst: 20, cacheSize: 500}]}
  authentication:
    jwt:
      - issuer: {url: "https://issuer.example.com", audiences: [k8s], certificateAuthority: ca.pem}
        claimMappings: {username: {claim: sub, prefix: "oidc:"}, groups: {expression: "claims.groups"}}
hosts:
  - {name: cp1, addresses: [10.0.0.1], roles: [control-plane]}
  - {name: w1, addresses: [10.0.0.2], roles: [worker]}
`

// strictJSON decodes the YAML data into v, refusing unknown and repeated fields.
func strictJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		t.Fatal(err)
	}
	strict, err := kjson.UnmarshalStrict(j, v, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil || len(strict) > 0 {
		t.Fatalf("strict decode as %T: %v %v\n%s", v, err, strict, data)
	}
}

func loadAdmissionAuthn(t *testing.T) *compiler.Cluster {
	t.Helper()
	dir := t.TempDir()
	ca, err := os.ReadFile("testdata/issuer-ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "ca.pem"), ca, 0o600)
	os.WriteFile(filepath.Join(dir, "cluster.yaml"), []byte(admissionAuthnCluster), 0o600)
	c, _, ds := compiler.Load(filepath.Join(dir, "cluster.yaml"))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return c
}

// TestAdmissionAuthnFiles: both files decode strictly as their official types, embed what the
// description says, and reach control-plane hosts only, root only.
func TestAdmissionAuthnFiles(t *testing.T) {
	c := loadAdmissionAuthn(t)
	files := map[string][]byte{}
	modes := map[string]fs.FileMode{}
	for _, a := range AdmissionAuthnArtifacts(c, compilertest.Host(t, c, "cp1")) {
		files[a.Path], modes[a.Path] = a.Data, a.Mode
		if a.UID != 0 || a.GID != 0 || a.Secret {
			t.Errorf("%s: owner %d:%d secret %t", a.Path, a.UID, a.GID, a.Secret)
		}
	}
	want := map[string]fs.FileMode{
		compiler.AdmissionConfigDir: fs.ModeDir | 0o700, compiler.AdmissionConfigPath: 0o600,
		compiler.AuthenticationConfigDir: fs.ModeDir | 0o700, compiler.AuthenticationConfigPath: 0o600,
	}
	if !maps.Equal(modes, want) {
		t.Errorf("cp1: %v, want %v", modes, want)
	}
	if arts := AdmissionAuthnArtifacts(c, compilertest.Host(t, c, "w1")); len(arts) > 0 {
		t.Errorf("a worker received %v", arts)
	}

	var adm apiserverv1.AdmissionConfiguration
	strictJSON(t, files[compiler.AdmissionConfigPath], &adm)
	if adm.APIVersion != "apiserver.config.k8s.io/v1" || adm.Kind != "AdmissionConfiguration" || len(adm.Plugins) != 2 {
		t.Fatalf("%+v", adm)
	}
	embedded := func(i int, name string, v any) {
		p := adm.Plugins[i]
		u, ok := any(p.Configuration).(*runtime.Unknown)
		if p.Name != name || !ok || u == nil || p.Path != "" {
			t.Fatalf("plugin %d: %+v", i, p)
		}
		strictJSON(t, u.Raw, v)
	}
	var ps psav1.PodSecurityConfiguration
	embedded(0, "PodSecurity", &ps)
	if ps.APIVersion != "pod-security.admission.config.k8s.io/v1" || ps.Defaults.Enforce != "baseline" || ps.Defaults.Warn != "restricted" ||
		ps.Defaults.WarnVersion != "v1.35" || ps.Defaults.Audit != "privileged" ||
		strings.Join(ps.Exemptions.Namespaces, ",") != "kube-system" || len(ps.Exemptions.Usernames) != 1 {
		t.Errorf("PodSecurityConfiguration %+v", ps)
	}
	var erl compiler.EventRateLimitConfiguration
	embedded(1, "EventRateLimit", &erl)
	if erl.APIVersion != "eventratelimit.admission.k8s.io/v1alpha1" || erl.Kind != "Configuration" || len(erl.Limits) != 2 || erl.Limits[1].CacheSize != 500 {
		t.Errorf("EventRateLimit %+v", erl)
	}

	var authn apiserverv1.AuthenticationConfiguration
	strictJSON(t, files[compiler.AuthenticationConfigPath], &authn)
	ca, _ := os.ReadFile("testdata/issuer-ca.pem")
	if authn.APIVersion != c.Release.APIs.Authentication || len(authn.JWT) != 1 ||
		authn.JWT[0].Issuer.URL != "https://issuer.example.com" || authn.JWT[0].Issuer.CertificateAuthority != string(ca) ||
		authn.JWT[0].ClaimMappings.Groups.Expression != "claims.groups" {
		t.Errorf("AuthenticationConfiguration %+v", authn)
	}
}

// TestAdmissionAuthnFlags: the flags name the files, the user's plugin list keeps its entries
// and gains EventRateLimit, and the mounts are read-only directories.
func TestAdmissionAuthnFlags(t *testing.T) {
	c := loadAdmissionAuthn(t)
	f := Flags(c)
	for name, want := range map[string]string{
		"admission-control-config-file": compiler.AdmissionConfigPath,
		"authentication-config":         compiler.AuthenticationConfigPath,
		"enable-admission-plugins":      "NodeRestriction,AlwaysPullImages,EventRateLimit",
	} {
		if f[name] != want {
			t.Errorf("--%s=%q, want %q", name, f[name], want)
		}
	}
	got := map[string]bool{}
	for _, m := range Mounts(c) {
		got[m.Path] = m.ReadOnly
	}
	if !got[compiler.AdmissionConfigDir] || !got[compiler.AuthenticationConfigDir] {
		t.Errorf("mounts %v", got)
	}
	c.APIServer.Admission.EventRateLimit = nil
	if _, ok := Flags(c)["enable-admission-plugins"]; ok {
		t.Error("without eventRateLimit the plugin list is the user's")
	}
}
