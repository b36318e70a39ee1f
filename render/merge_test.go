package render

import (
	"slices"
	"testing"

	"kubeforge.dev/kubeforge/render/artifact"
)

// TestMergeDuplicates: one directory listed by two renderers becomes one entry with both
// sources; a file listed twice, or a directory with two modes or owners, is an error.
func TestMergeDuplicates(t *testing.T) {
	b := artifact.Bundle{Name: "h", Artifacts: []artifact.Artifact{
		artifact.Dir("/etc/kubernetes/manifests", 0o700, "hosts[0].roles"),
		artifact.Dir("/etc/kubernetes/manifests", 0o700, "hosts[0].roles", "etcd.topology"),
		artifact.File("/etc/kubernetes/manifests/etcd.yaml", 0o600, nil),
	}}
	if err := mergeDuplicates(&b); err != nil {
		t.Fatal(err)
	}
	if len(b.Artifacts) != 2 || !slices.Equal(b.Artifacts[0].Sources, []string{"hosts[0].roles", "etcd.topology"}) {
		t.Errorf("merged: %+v", b.Artifacts)
	}
	owned := artifact.Dir("/var/lib/etcd", 0o700)
	owned.UID = 1000
	for name, pair := range map[string][2]artifact.Artifact{
		"file twice":       {artifact.File("/a", 0o644, nil), artifact.File("/a", 0o644, nil)},
		"directory modes":  {artifact.Dir("/d", 0o700), artifact.Dir("/d", 0o755)},
		"directory owners": {artifact.Dir("/var/lib/etcd", 0o700), owned},
	} {
		b := artifact.Bundle{Name: "h", Artifacts: pair[:]}
		if err := mergeDuplicates(&b); err == nil {
			t.Errorf("%s: merged", name)
		}
	}
}
