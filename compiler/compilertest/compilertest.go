// Package compilertest loads cluster descriptions for tests of the packages downstream of the
// compiler, failing the test on any error diagnostic.
package compilertest

import (
	"path/filepath"
	"runtime"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
)

// ExamplesDir is the repository's examples/ directory, wherever the test runs from.
var ExamplesDir = func() string {
	_, self, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(self), "../../examples")
}()

// Examples are the example descriptions every renderer is tested on.
var Examples = []string{"ha.yaml", "single-node.yaml", "dedicated-etcd.yaml", "dual-stack.yaml"}

// Load loads a description file or directory; a bare name is taken from examples/.
func Load(t testing.TB, path string) *compiler.Cluster {
	t.Helper()
	if filepath.Base(path) == path {
		path = filepath.Join(ExamplesDir, path)
	}
	c, _, diags := compiler.Load(path)
	if diags.HasErrors() {
		t.Fatalf("%s: %v", path, diags)
	}
	return c
}

// LoadYAML loads a description written in the test.
func LoadYAML(t testing.TB, src string) *compiler.Cluster {
	t.Helper()
	c, _, diags := compiler.LoadBytes("test.yaml", []byte(src))
	if diags.HasErrors() {
		t.Fatalf("test description: %v", diags)
	}
	return c
}

// Host returns the named host, failing the test when there is none.
func Host(t testing.TB, c *compiler.Cluster, name string) *compiler.Host {
	t.Helper()
	h, ok := c.Host(name)
	if !ok {
		t.Fatalf("no host %q", name)
	}
	return h
}
