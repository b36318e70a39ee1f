// Package kubeconfig is the kubeconfig file format (client-go's clientcmd v1 Config, which
// kubeforge does not import), limited to the fields kubeforge writes, with client-go's field
// names. Marshalled with sigs.k8s.io/yaml, keys come out sorted as kubectl writes them.
package kubeconfig

import "sigs.k8s.io/yaml"

// Config is a kubeconfig file.
type Config struct {
	APIVersion     string         `json:"apiVersion"`
	Kind           string         `json:"kind"`
	Clusters       []NamedCluster `json:"clusters"`
	Contexts       []NamedContext `json:"contexts,omitempty"`
	CurrentContext string         `json:"current-context,omitempty"`
	Users          []NamedUser    `json:"users,omitempty"`
}

type NamedCluster struct {
	Name    string  `json:"name"`
	Cluster Cluster `json:"cluster"`
}

type Cluster struct {
	Server                   string `json:"server"`
	CertificateAuthority     string `json:"certificate-authority,omitempty"`
	CertificateAuthorityData []byte `json:"certificate-authority-data,omitempty"`
}

type NamedContext struct {
	Name    string  `json:"name"`
	Context Context `json:"context"`
}

type Context struct {
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace,omitempty"`
	User      string `json:"user"`
}

type NamedUser struct {
	Name string `json:"name"`
	User User   `json:"user"`
}

type User struct {
	ClientCertificateData []byte `json:"client-certificate-data,omitempty"`
	ClientKeyData         []byte `json:"client-key-data,omitempty"`
	TokenFile             string `json:"tokenFile,omitempty"`
}

// New returns an empty Config with its apiVersion and kind.
func New() *Config { return &Config{APIVersion: "v1", Kind: "Config"} }

// Marshal returns the config as YAML.
func (c *Config) Marshal() ([]byte, error) { return yaml.Marshal(c) }

// Parse reads a kubeconfig; ok is false when data is not one.
func Parse(data []byte) (*Config, bool) {
	var c Config
	if err := yaml.Unmarshal(data, &c); err != nil || c.Kind != "Config" {
		return nil, false
	}
	return &c, true
}
