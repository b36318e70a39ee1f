package kubelet

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeletconfigv1 "k8s.io/kubelet/config/v1"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// credentialProviderFlags returns the kubelet flags naming the host's credential provider
// files, with the fields they come from; none without providers.
func credentialProviderFlags(h *compiler.Host) (map[string]string, []string) {
	k := h.Kubelet
	if len(k.ImageCredentialProviders) == 0 {
		return nil, nil
	}
	return map[string]string{
			compiler.CredentialProviderConfigFlag: compiler.CredentialProviderConfigPath,
			compiler.CredentialProviderBinDirFlag: k.ImageCredentialProviderBinDir,
		},
		[]string{k.Origin["imageCredentialProviders"], k.Origin["imageCredentialProviderBinDir"]}
}

// CredentialProviderConfig returns the kubelet's CredentialProviderConfig for the host, or nil
// when it has no providers.
func CredentialProviderConfig(h *compiler.Host) (*kubeletconfigv1.CredentialProviderConfig, error) {
	ps := h.Kubelet.ImageCredentialProviders
	if len(ps) == 0 {
		return nil, nil
	}
	cfg := &kubeletconfigv1.CredentialProviderConfig{
		TypeMeta: metav1.TypeMeta{APIVersion: kubeletconfigv1.SchemeGroupVersion.String(), Kind: "CredentialProviderConfig"},
	}
	for _, p := range ps {
		d, err := time.ParseDuration(p.DefaultCacheDuration)
		if err != nil {
			return nil, fmt.Errorf("credential provider %s: defaultCacheDuration: %w", p.Name, err)
		}
		out := kubeletconfigv1.CredentialProvider{
			Name:                 p.Name,
			MatchImages:          p.MatchImages,
			DefaultCacheDuration: &metav1.Duration{Duration: d},
			APIVersion:           p.APIVersion,
			Args:                 p.Args,
		}
		for _, name := range sortedKeys(p.Env) {
			out.Env = append(out.Env, kubeletconfigv1.ExecEnvVar{Name: name, Value: p.Env[name]})
		}
		cfg.Providers = append(cfg.Providers, out)
	}
	return cfg, nil
}

// credentialProviderArtifact returns the host's CredentialProviderConfig file, and false
// without providers. The kubelet reads it only when it starts.
func credentialProviderArtifact(h *compiler.Host) (artifact.Artifact, bool, error) {
	cfg, err := CredentialProviderConfig(h)
	if err != nil || cfg == nil {
		return artifact.Artifact{}, false, err
	}
	// The typed struct and its marshaller quote every string the description gave.
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return artifact.Artifact{}, false, err
	}
	return artifact.File(compiler.CredentialProviderConfigPath, 0o644, data, h.Kubelet.Origin["imageCredentialProviders"]).Affecting(artifact.RestartKubelet), true, nil
}
