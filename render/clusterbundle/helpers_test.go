package clusterbundle

import (
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/staticpod"
)

// examplePaths are the example descriptions, relative to this package.
var examplePaths = []string{
	"../../examples/ha.yaml",
	"../../examples/single-node.yaml",
	"../../examples/dedicated-etcd.yaml",
	"../../examples/dual-stack.yaml",
	"../../examples/large/cluster.cue",
}

// loaded caches descriptions by path: the large example takes a while to load. Tests must not
// change a cluster they get from load.
var loaded sync.Map

// render returns the bundle of a description, failing the test on error.
func render(t *testing.T, c *compiler.Cluster) []artifact.Artifact {
	t.Helper()
	arts, err := Artifacts(c, staticpod.Options{})
	if err != nil {
		t.Fatalf("Artifacts: %v", err)
	}
	return arts
}

// forEachExample runs f for every example as a subtest.
func forEachExample(t *testing.T, f func(t *testing.T, c *compiler.Cluster)) {
	for _, p := range examplePaths {
		t.Run(filepath.Base(filepath.Dir(p))+"/"+filepath.Base(p), func(t *testing.T) {
			f(t, compilertest.Load(t, p))
		})
	}
}

// forEachCluster runs f for every example and every test description, as subtests.
func forEachCluster(t *testing.T, f func(t *testing.T, c *compiler.Cluster)) {
	forEachExample(t, f)
	for _, name := range slices.Sorted(maps.Keys(testDescriptions)) {
		t.Run(name, func(t *testing.T) { f(t, compilertest.LoadYAML(t, testDescriptions[name])) })
	}
}
