package pki

import (
	"sigs.k8s.io/yaml"
)

// kubeconfig is the subset of client-go's clientcmd v1 Config that kubeforge writes: one
// cluster, one user, one context. Typed, and marshalled like kubectl writes it (keys sorted).
type kubeconfig struct {
	APIVersion     string         `json:"apiVersion"`
	Kind           string         `json:"kind"`
	Clusters       []namedCluster `json:"clusters"`
	Contexts       []namedContext `json:"contexts"`
	CurrentContext string         `json:"current-context"`
	Users          []namedUser    `json:"users"`
}

type namedCluster struct {
	Name    string            `json:"name"`
	Cluster kubeconfigCluster `json:"cluster"`
}

type kubeconfigCluster struct {
	Server                   string `json:"server"`
	CertificateAuthorityData []byte `json:"certificate-authority-data,omitempty"`
}

type namedContext struct {
	Name    string            `json:"name"`
	Context kubeconfigContext `json:"context"`
}

type kubeconfigContext struct {
	Cluster string `json:"cluster"`
	User    string `json:"user"`
}

type namedUser struct {
	Name string         `json:"name"`
	User kubeconfigUser `json:"user"`
}

type kubeconfigUser struct {
	ClientCertificateData []byte `json:"client-certificate-data,omitempty"`
	ClientKeyData         []byte `json:"client-key-data,omitempty"`
}

// buildKubeconfig returns a kubeconfig for user (the certificate's CN) of cluster at server,
// trusting caPEM and authenticating with the embedded certificate and key, with kubeadm's
// names: the context is "<user>@<cluster>".
func buildKubeconfig(cluster, server, user string, caPEM, certPEM, keyPEM []byte) ([]byte, error) {
	ctx := user + "@" + cluster
	return yaml.Marshal(kubeconfig{
		APIVersion:     "v1",
		Kind:           "Config",
		Clusters:       []namedCluster{{Name: cluster, Cluster: kubeconfigCluster{Server: server, CertificateAuthorityData: caPEM}}},
		Contexts:       []namedContext{{Name: ctx, Context: kubeconfigContext{Cluster: cluster, User: user}}},
		CurrentContext: ctx,
		Users:          []namedUser{{Name: user, User: kubeconfigUser{ClientCertificateData: certPEM, ClientKeyData: keyPEM}}},
	})
}

// parseKubeconfig reads a kubeconfig; ok is false when data is not one.
func parseKubeconfig(data []byte) (kubeconfig, bool) {
	var k kubeconfig
	if err := yaml.Unmarshal(data, &k); err != nil || k.Kind != "Config" {
		return kubeconfig{}, false
	}
	return k, true
}
