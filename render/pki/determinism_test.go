package pki

import (
	"runtime"
	"testing"
	"testing/cryptotest"

	"kubeforge.dev/kubeforge/compiler/compilertest"

	"github.com/google/go-cmp/cmp"

	"kubeforge.dev/kubeforge/compiler"
)

// deterministicRun issues c afresh into a new store with the global random source seeded and
// one worker, so that keys, signatures and serial numbers are drawn in a fixed order. It
// returns the store's files and every host's artifacts, by path.
func deterministicRun(t *testing.T, c *compiler.Cluster, seed uint64) map[string]string {
	t.Helper()
	cryptotest.SetGlobalRandom(t, seed)
	r := issue(t, c, Options{})
	out := contentOf(r.Store())
	for _, h := range c.Hosts {
		for _, a := range r.HostArtifacts(h) {
			out[h.Name+":"+a.Path] = a.Mode.String() + " " + string(a.Data)
		}
	}
	return out
}

// TestDeterministicPKI: with a pinned clock and testing/cryptotest's seeded randomness, two
// fresh runs make byte-identical keys, certificates, kubeconfigs and stores, so golden files
// can cover the PKI. Go 1.26 key generation and ECDSA signing ignore a caller's reader and
// draw from the global source, which SetGlobalRandom replaces; parallel workers would draw in
// a varying order, hence GOMAXPROCS 1. Another seed gives another PKI, so the comparison can
// fail.
func TestDeterministicPKI(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, ex := range []string{"ha.yaml", "single-node.yaml"} {
		t.Run(ex, func(t *testing.T) {
			c := compilertest.Load(t, ex)
			a, b := deterministicRun(t, c, 1), deterministicRun(t, c, 1)
			if d := cmp.Diff(a, b); d != "" {
				t.Fatalf("two seeded runs differ:\n%s", d)
			}
			other := deterministicRun(t, c, 2)
			if other["ca.crt"] == a["ca.crt"] || other["hosts/"+c.Hosts[0].Name+"/apiserver.key"] == a["hosts/"+c.Hosts[0].Name+"/apiserver.key"] {
				t.Fatal("another seed made the same PKI")
			}
		})
	}
}

// TestDeterministicRSA checks the same holds for RSA keys, on a one-host cluster (RSA
// generation is slow).
func TestDeterministicRSA(t *testing.T) {
	if testing.Short() {
		t.Skip("RSA key generation is slow")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	c := compilertest.LoadYAML(t, exampleText(t, "single-node.yaml")+"pki: {keyAlgorithm: RSA-2048}\n")
	a, b := deterministicRun(t, c, 7), deterministicRun(t, c, 7)
	if d := cmp.Diff(a, b); d != "" {
		t.Fatalf("two seeded RSA runs differ:\n%s", d)
	}
}
