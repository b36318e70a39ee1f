package staticpod

import (
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
)

// TestHostileArgsDecodeExactly renders the hostile corpus's valid extra args (spaces, quotes,
// '$', '%', backslashes, Jinja2 markers, non-ASCII) and decodes the manifests written, strictly,
// as the kubelet would: each flag is one argument holding exactly the description's value.
func TestHostileArgsDecodeExactly(t *testing.T) {
	c := compilertest.Load(t, "../../compiler/testdata/hostile/inject-ok-strings.yaml")
	h := compilertest.Host(t, c, "cp1")
	pods := podsOf(t, c, h)
	hostile := 0
	for name, args := range map[string]compiler.Args{
		"kube-apiserver":          c.APIServer.ExtraArgs,
		"kube-controller-manager": c.ControllerManager.ExtraArgs,
		"kube-scheduler":          c.Scheduler.ExtraArgs,
		"etcd":                    c.Etcd.ExtraArgs,
	} {
		p, ok := pods[name]
		if !ok {
			t.Fatalf("no %s pod", name)
		}
		for k, v := range args {
			wantFlag(t, p, k, v)
			if strings.ContainsAny(v, " \"'$%\\{}") || strings.ContainsFunc(v, func(r rune) bool { return r > 0x7f }) {
				hostile++
			}
		}
	}
	if hostile < 4 {
		t.Fatalf("only %d hostile values: the corpus case no longer tests much", hostile)
	}
	wantFlag(t, pods["etcd"], "data-dir", c.Etcd.DataDir)
}
