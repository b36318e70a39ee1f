package clusterbundle

import (
	"path"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// The notes describe the bundle as it is: every directory the bundle uses is documented, the
// apply command names the directory the bundle is emitted to, and what is left out is said.
func TestNotesDescribeTheBundle(t *testing.T) {
	n := Notes()
	forEachCluster(t, func(t *testing.T, c *compiler.Cluster) {
		for _, a := range render(t, c) {
			dir := path.Dir(a.Path)[1:]
			if !strings.Contains(n, "| "+dir+" |") {
				t.Errorf("the notes do not document directory %s", dir)
			}
		}
	})
	for _, want := range []string{
		"apply -f " + artifact.ClusterBundle + "/ --recursive",
		"super-admin.conf",
		"network plugin (CNI) is not in the bundle",
		"Bootstrap tokens",
		"cluster-info",
		"kubeadm upgrade",
		"NodeRestriction",
	} {
		if !strings.Contains(n, want) {
			t.Errorf("the notes do not say %q", want)
		}
	}
}
