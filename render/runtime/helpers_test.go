package runtime

import (
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

const head = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
hosts:
  - {name: cp1, addresses: [192.168.0.11], roles: [control-plane]}
`

// compile loads a description (head plus extra) that must compile without errors.
func compile(t *testing.T, extra string) *compiler.Cluster {
	t.Helper()
	c, _, ds := compiler.LoadBytes("t.yaml", []byte(head+extra))
	if ds.HasErrors() {
		t.Fatalf("description does not compile:\n%v", ds)
	}
	return c
}

// files renders the first host's runtime files, by path.
func files(t *testing.T, c *compiler.Cluster) map[string]artifact.Artifact {
	t.Helper()
	arts, err := Artifacts(c, c.Hosts[0])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]artifact.Artifact{}
	for _, a := range arts {
		out[a.Path] = a
	}
	return out
}

func file(t *testing.T, fs map[string]artifact.Artifact, p string) []byte {
	t.Helper()
	a, ok := fs[p]
	if !ok {
		var have []string
		for k := range fs {
			have = append(have, k)
		}
		t.Fatalf("no %s among %s", p, strings.Join(have, ", "))
	}
	return a.Data
}
