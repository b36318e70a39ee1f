package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/pki"
)

// TestExternalCACompile: with the cluster CA's key removed from the store (kubeadm's external
// CA mode), a compile hands ca.key to no host and the controller-manager is not told to sign.
func TestExternalCACompile(t *testing.T) {
	load := func() *compiler.Cluster {
		c, _, ds := compiler.Load("../examples/ha.yaml")
		if ds.HasErrors() {
			t.Fatal(ds)
		}
		return c
	}
	store := filepath.Join(t.TempDir(), "pki")
	res, err := Compile(load(), Options{PKI: &pki.Options{StoreDir: store}})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.PKI.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(store, "ca.key")); err != nil {
		t.Fatal(err)
	}
	res, err = Compile(load(), Options{PKI: &pki.Options{StoreDir: store}})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range res.Hosts {
		if _, ok := b.Lookup(compiler.CAKeyPath); ok {
			t.Errorf("%s holds ca.key in external CA mode", b.Name)
		}
		if m, ok := b.Lookup(compiler.ManifestsDir + "/kube-controller-manager.yaml"); ok {
			if !strings.Contains(string(m.Data), "--cluster-signing-key-file=\n") {
				t.Errorf("%s: the controller-manager still signs with a key it does not have:\n%s", b.Name, m.Data)
			}
		}
	}
}
