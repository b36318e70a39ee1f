package emit

import (
	"path/filepath"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render"
)

// everyFormat is every output format, for tests that check what they share.
var everyFormat = []Format{FormatDir, FormatTar, FormatCloudInit, FormatAnsible, FormatIgnition}

// compiledExample loads and renders examples/name without PKI, as `compile --no-pki` does for
// golden trees.
func compiledExample(t *testing.T, name string) (*compiler.Cluster, *render.Result) {
	t.Helper()
	c, _, ds := compiler.Load("../examples/" + name)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	res, err := render.Compile(c, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c, res
}

// writtenInEveryFormat compiles examples/name and writes it in every format, with the
// inventory compile uses, into a fresh directory it returns; notes receives Write's notes.
func writtenInEveryFormat(t *testing.T, name string, notes func(string)) (*compiler.Cluster, *render.Result, string) {
	t.Helper()
	c, res := compiledExample(t, name)
	dir := filepath.Join(t.TempDir(), "out")
	err := Write(dir, Output{Hosts: res.Hosts, Cluster: res.Cluster, Inventory: inventory(c), Notes: notes, Formats: everyFormat})
	if err != nil {
		t.Fatal(err)
	}
	return c, res, dir
}
