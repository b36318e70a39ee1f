package render

import (
	"reflect"
	"slices"
	"strings"
	"sync"
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

// TestCertificateProgress: while the PKI step runs, the progress callback counts the keys
// made, one report a key, up to every key of a fresh store; at the end it reports the total.
func TestCertificateProgress(t *testing.T) {
	c, _, ds := compiler.Load("../examples/ha.yaml")
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	var mu sync.Mutex
	var running []int
	var final *Progress
	res, err := Compile(c, Options{PKI: &pki.Options{}, Progress: func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case p.Stage != StageCertificates:
		case p.Total > 0:
			final = &p
		case p.Done > 0:
			running = append(running, p.Done)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	keys := 0
	for name := range res.PKI.Store().Files {
		if strings.HasSuffix(name, ".key") {
			keys++
		}
	}
	slices.Sort(running)
	want := make([]int, len(running))
	for i := range want {
		want[i] = i + 1
	}
	// Every key made is counted once: CAs and the service-account key of the store, and the
	// keys of every host's certificates (not kept in the store).
	if len(running) < keys || !slices.Equal(running, want) {
		t.Errorf("key counts reported %v; want 1..n with n >= the store's %d keys", running, keys)
	}
	if final == nil || final.Done == 0 || final.Done != final.Total {
		t.Errorf("final report %+v", final)
	}
}
