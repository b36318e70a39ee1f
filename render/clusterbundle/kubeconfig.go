package clusterbundle

// The kubeconfig file format (client-go's clientcmd/api/v1, which kubeforge does not import),
// limited to the fields the bundle writes, with client-go's field names.

type kubeconfig struct {
	APIVersion     string         `json:"apiVersion"`
	Kind           string         `json:"kind"`
	Clusters       []namedCluster `json:"clusters"`
	Contexts       []namedContext `json:"contexts,omitempty"`
	CurrentContext string         `json:"current-context,omitempty"`
	Users          []namedUser    `json:"users,omitempty"`
}

type namedCluster struct {
	Name    string            `json:"name"`
	Cluster kubeconfigCluster `json:"cluster"`
}

type kubeconfigCluster struct {
	Server                   string `json:"server"`
	CertificateAuthority     string `json:"certificate-authority,omitempty"`
	CertificateAuthorityData []byte `json:"certificate-authority-data,omitempty"`
}

type namedContext struct {
	Name    string            `json:"name"`
	Context kubeconfigContext `json:"context"`
}

type kubeconfigContext struct {
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace,omitempty"`
	User      string `json:"user"`
}

type namedUser struct {
	Name string         `json:"name"`
	User kubeconfigUser `json:"user"`
}

type kubeconfigUser struct {
	TokenFile string `json:"tokenFile,omitempty"`
}

func newKubeconfig() *kubeconfig { return &kubeconfig{APIVersion: "v1", Kind: "Config"} }
