package apiserversec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// AdmissionConfig returns the AdmissionConfiguration of a: each plugin's configuration
// embedded in its entry rather than in a file of its own. The apiserver hands an embedded
// configuration to the plugin as it would the file's bytes (PodSecurity and EventRateLimit
// both read it so), and one file has one mount, one mode and one digest, with no relative path
// to resolve.
func AdmissionConfig(a *compiler.Admission) []byte {
	var plugins []apiserverv1.AdmissionPluginConfiguration
	add := func(name string, cfg any) {
		raw, err := json.Marshal(cfg)
		if err != nil {
			// Both configurations hold strings and numbers only.
			panic("apiserversec: marshalling the " + name + " configuration: " + err.Error())
		}
		plugins = append(plugins, apiserverv1.AdmissionPluginConfiguration{Name: name, Configuration: &runtime.Unknown{Raw: raw}})
	}
	if a.PodSecurity != nil {
		add(compiler.PluginPodSecurity, a.PodSecurity)
	}
	if a.EventRateLimit != nil {
		add(compiler.PluginEventRateLimit, a.EventRateLimit)
	}
	data, err := yaml.Marshal(apiserverv1.AdmissionConfiguration{
		TypeMeta: metav1.TypeMeta{APIVersion: apiserverv1.SchemeGroupVersion.String(), Kind: "AdmissionConfiguration"},
		Plugins:  plugins,
	})
	if err != nil {
		panic("apiserversec: marshalling an AdmissionConfiguration: " + err.Error())
	}
	return data
}

// Digest returns the hex SHA-256 of a file's content: the apiserver's manifest carries the
// digests of the files it reads only at start, so that a change restarts it.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// AdmissionAuthnArtifacts returns the admission and authentication configurations of host h,
// a control-plane host, each root-only in a 0700 directory of its own (CIS 1.1.x). Neither
// holds a secret, but both decide who gets in and what runs.
func AdmissionAuthnArtifacts(c *compiler.Cluster, h *compiler.Host) []artifact.Artifact {
	if !h.Has(compiler.RoleControlPlane) {
		return nil
	}
	var out []artifact.Artifact
	if a := c.APIServer.Admission; a != nil {
		out = append(out,
			artifact.Dir(compiler.AdmissionConfigDir, policyDirMode, "apiServer.admission"),
			artifact.File(compiler.AdmissionConfigPath, policyMode, AdmissionConfig(a), "apiServer.admission"))
	}
	if a := c.APIServer.Authentication; a != nil {
		out = append(out,
			artifact.Dir(compiler.AuthenticationConfigDir, policyDirMode, "apiServer.authentication"),
			artifact.File(compiler.AuthenticationConfigPath, policyMode, AuthenticationConfig(a), "apiServer.authentication"))
	}
	return out
}
