package pki

import (
	"crypto/tls"
	"path"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/kubeconfig"
)

// TestKubeletClientRotation checks the bundles leave client certificate rotation to the
// kubelet (README: kubelet client certificates). kubelet.conf embeds a matching pair for
// system:node:NAME, which the kubelet, with rotateCertificates, copies into its store and
// rotates out at once (cmd/kubelet/app/server.go; client-go's getCurrentCertificateOrBootstrap
// prefers the store's unexpired current pair over it on every later start). No bundle writes
// into that store (kubelet-client-current.pem, a symlink the kubelet manages, and the pairs it
// points at), so re-applying a bundle cannot undo a rotation, nor make it fail by putting a
// plain file where the kubelet expects its symlink.
func TestKubeletClientRotation(t *testing.T) {
	for _, ex := range examples {
		c, r := issuedExample(t, ex)
		for _, h := range c.Hosts {
			arts := r.HostArtifacts(h)
			for _, a := range arts {
				if path.Dir(a.Path) == compiler.KubeletPKIDir && strings.HasPrefix(path.Base(a.Path), "kubelet-client") {
					t.Errorf("%s %s: %s is the kubelet's rotation state; a bundle must not write it", ex, h.Name, a.Path)
				}
			}
			a, ok := lookup(arts, compiler.KubeletConfPath)
			if !ok {
				continue // a dedicated etcd host's standalone kubelet
			}
			k, ok := kubeconfig.Parse(a.Data)
			if !ok || len(k.Users) != 1 {
				t.Fatalf("%s %s: kubelet.conf is not a kubeconfig with one user", ex, h.Name)
			}
			u := k.Users[0].User
			pair, err := tls.X509KeyPair(u.ClientCertificateData, u.ClientKeyData)
			if err != nil {
				t.Errorf("%s %s: kubelet.conf does not embed a matching certificate and key, which the kubelet needs as its bootstrap pair: %v", ex, h.Name, err)
				continue
			}
			if cn := pair.Leaf.Subject.CommonName; cn != "system:node:"+h.NodeName {
				t.Errorf("%s %s: kubelet.conf's certificate is %s", ex, h.Name, cn)
			}
		}
	}
}
