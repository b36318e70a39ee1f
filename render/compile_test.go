package render

import (
	"reflect"
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
	res, err := Compile(load(), Options{PKI: &pki.Options{}})
	if err != nil {
		t.Fatal(err)
	}
	store := res.PKI.Store()
	delete(store.Files, "ca.key")
	c := load()
	res, err = Compile(c, Options{PKI: &pki.Options{Store: store}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, load()) {
		t.Error("Compile changed the model it compiled")
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
