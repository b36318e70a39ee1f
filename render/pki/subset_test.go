package pki

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
)

// TestHostSubsetVerifiesSelectedHosts damages another host's stored key: a --host compile of
// a host left alone keeps that file as it is (verifying every host's certificates made one
// host of 5,000 cost a second), while compiling the damaged host, or all of them, still
// names it.
func TestHostSubsetVerifiesSelectedHosts(t *testing.T) {
	c := compilertest.Load(t, "ha.yaml")
	st, _ := issuedStore(t, c)
	st = withFiles(st, map[string][]byte{"hosts/w2/kubelet-serving.key": []byte("garbage\n")})
	before := contentOf(st)

	r := issue(t, c, Options{Store: st, Hosts: []*compiler.Host{compilertest.Host(t, c, "w1")}})
	if d := cmp.Diff(before, contentOf(r.Store())); d != "" {
		t.Errorf("a compile of w1 changed the store:\n%s", d)
	}

	for name, hosts := range map[string][]*compiler.Host{"w2 alone": {compilertest.Host(t, c, "w2")}, "every host": nil} {
		_, err := Issue(c, Options{Store: st, Now: at(t0), Hosts: hosts})
		if err == nil || !strings.Contains(err.Error(), "hosts/w2/kubelet-serving.key") {
			t.Errorf("compiling %s with a damaged w2 key: error %v, want one naming the file", name, err)
		}
	}
}
