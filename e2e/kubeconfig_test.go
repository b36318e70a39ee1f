//go:build e2e

package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/yaml"
)

// kubeconfig is the part of a kubeconfig file a client certificate user needs.
type kubeconfig struct {
	CurrentContext string `json:"current-context"`
	Clusters       []struct {
		Name    string `json:"name"`
		Cluster struct {
			Server string `json:"server"`
			CA     string `json:"certificate-authority"`
			CAData []byte `json:"certificate-authority-data"`
		} `json:"cluster"`
	} `json:"clusters"`
	Contexts []struct {
		Name    string `json:"name"`
		Context struct {
			Cluster string `json:"cluster"`
			User    string `json:"user"`
		} `json:"context"`
	} `json:"contexts"`
	Users []struct {
		Name string `json:"name"`
		User struct {
			Cert     string `json:"client-certificate"`
			CertData []byte `json:"client-certificate-data"`
			Key      string `json:"client-key"`
			KeyData  []byte `json:"client-key-data"`
		} `json:"user"`
	} `json:"users"`
}

// kubeconfigClient returns an HTTP client with the credentials of a kubeconfig of host h (its
// current context), files it names read at their node paths in h's bundle, and the server URL.
// It is for requests kubectl cannot send as such (a bare PATCH).
func kubeconfigClient(h *simHost, nodePath string) (*http.Client, string, error) {
	data, err := os.ReadFile(h.path(nodePath))
	if err != nil {
		return nil, "", err
	}
	var kc kubeconfig
	if err := yaml.Unmarshal(data, &kc); err != nil {
		return nil, "", fmt.Errorf("%s: %w", nodePath, err)
	}
	var clusterName, userName string
	for _, c := range kc.Contexts {
		if c.Name == kc.CurrentContext {
			clusterName, userName = c.Context.Cluster, c.Context.User
		}
	}
	read := func(inline []byte, file string) ([]byte, error) {
		if len(inline) > 0 || file == "" {
			return inline, nil
		}
		if !filepath.IsAbs(file) {
			file = filepath.Join(filepath.Dir(nodePath), file)
		}
		return os.ReadFile(h.path(file))
	}
	cfg := &tls.Config{}
	var server string
	for _, c := range kc.Clusters {
		if c.Name != clusterName {
			continue
		}
		server = c.Cluster.Server
		ca, err := read(c.Cluster.CAData, c.Cluster.CA)
		if err != nil {
			return nil, "", err
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(ca) {
			return nil, "", fmt.Errorf("%s: cluster %s has no CA certificate", nodePath, clusterName)
		}
	}
	for _, u := range kc.Users {
		if u.Name != userName {
			continue
		}
		cert, err := read(u.User.CertData, u.User.Cert)
		if err != nil {
			return nil, "", err
		}
		key, err := read(u.User.KeyData, u.User.Key)
		if err != nil {
			return nil, "", err
		}
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			return nil, "", fmt.Errorf("%s: user %s: %w", nodePath, userName, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	if server == "" || len(cfg.Certificates) == 0 {
		return nil, "", fmt.Errorf("%s: current context %q has no server or no client certificate", nodePath, kc.CurrentContext)
	}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}, server, nil
}
