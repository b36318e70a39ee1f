package pki

import (
	"fmt"
	"os"
	"path/filepath"

	"kubeforge.dev/kubeforge/compiler"
)

// externalEtcdFiles are the user's client files for an etcd cluster kubeforge does not run,
// copied into control-plane bundles where kubeadm's apiserver flags expect them.
type externalEtcdFiles struct {
	CA, Cert, Key []byte
}

// loadExternalEtcd reads and checks the external etcd files, resolved against the
// description's directory: the CA must hold certificates and the key must be the
// certificate's.
func (r *Result) loadExternalEtcd() error {
	c := r.cluster
	if c.Etcd.Topology != compiler.EtcdExternal || c.Etcd.External == nil {
		return nil
	}
	x := c.Etcd.External
	read := func(field, p string) ([]byte, string, error) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(c.SourceDir, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, p, fmt.Errorf("etcd.external.%s: %w", field, err)
		}
		return data, p, nil
	}
	ca, caPath, err := read("caFile", x.CAFile)
	if err != nil {
		return err
	}
	if _, err := parseCerts(ca); err != nil {
		return fmt.Errorf("etcd.external.caFile: %s: %v", caPath, err)
	}
	certPEM, certPath, err := read("certFile", x.CertFile)
	if err != nil {
		return err
	}
	cert, err := parseCert(certPEM)
	if err != nil {
		return fmt.Errorf("etcd.external.certFile: %s: %v", certPath, err)
	}
	keyPEM, keyPath, err := read("keyFile", x.KeyFile)
	if err != nil {
		return err
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return fmt.Errorf("etcd.external.keyFile: %s: %v", keyPath, err)
	}
	if !samePublicKey(cert.PublicKey, key.Public()) {
		return fmt.Errorf("etcd.external.keyFile: %s is not the key of %s", keyPath, certPath)
	}
	r.external = &externalEtcdFiles{CA: ca, Cert: certPEM, Key: keyPEM}
	return nil
}
