// Package golden holds the expected bundles of every example (PKI aside) and the test that
// compares fresh compiles with them byte for byte. Regenerate with `go test ./golden -update`
// (or `make golden`) and review the diff before committing.
package golden

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/emit"
	"kubeforge.dev/kubeforge/render"
	"kubeforge.dev/kubeforge/render/artifact"
)

var update = flag.Bool("update", false, "rewrite the golden files from a fresh compile")

// examples compiled into golden trees; the 503-host example is covered by other tests.
var examples = map[string]string{
	"ha":             "../examples/ha.yaml",
	"single-node":    "../examples/single-node.yaml",
	"dedicated-etcd": "../examples/dedicated-etcd.yaml",
	"dual-stack":     "../examples/dual-stack.yaml",
}

func compileExample(t *testing.T, path string) []artifact.Bundle {
	t.Helper()
	c, _, ds := compiler.Load(path)
	if ds.HasErrors() {
		t.Fatalf("%s: %v", path, ds)
	}
	res, err := render.Compile(c, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bundles := slices.Clone(res.Hosts)
	if res.Cluster != nil {
		bundles = append(bundles, *res.Cluster)
	}
	return bundles
}

func TestGolden(t *testing.T) {
	for name, path := range examples {
		t.Run(name, func(t *testing.T) {
			bundles := compileExample(t, path)
			for _, b := range bundles {
				for _, a := range b.Artifacts {
					if a.Secret {
						t.Fatalf("%s:%s is a secret; golden trees hold no key material", b.Name, a.Path)
					}
				}
			}
			dir := filepath.Join(".", name)
			if *update {
				// The cluster bundle goes to its own place; emit refuses a host of its name.
				out := emit.Output{}
				for i := range bundles {
					if bundles[i].Name == artifact.ClusterBundle {
						out.Cluster = &bundles[i]
					} else {
						out.Hosts = append(out.Hosts, bundles[i])
					}
				}
				if err := emit.Write(dir, out); err != nil {
					t.Fatal(err)
				}
				return
			}
			compareTree(t, dir, bundles)
		})
	}
}

// compareTree checks every file's bytes against the golden tree and every mode against the
// golden manifests (git keeps no modes, the manifests do), and fails on stale golden files.
func compareTree(t *testing.T, dir string, bundles []artifact.Bundle) {
	want := map[string]bool{filepath.Join(dir, ".kubeforge-output"): true}
	for _, b := range bundles {
		mf := filepath.Join(dir, b.Name+".manifest.json")
		want[mf] = true
		golden, err := os.ReadFile(mf)
		if err != nil {
			t.Errorf("%s: %v (run go test ./golden -update)", mf, err)
			continue
		}
		if got := emit.ManifestOf(b).JSON(); !bytes.Equal(got, golden) {
			t.Errorf("%s differs from a fresh compile (modes, digests or provenance changed); review with `go test ./golden -update && git diff`", mf)
		}
		for _, a := range b.Artifacts {
			p := filepath.Join(dir, b.Name, a.Path)
			want[p] = true
			if a.IsDir() {
				continue
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Errorf("%v", err)
				continue
			}
			if !bytes.Equal(data, a.Data) {
				t.Errorf("%s differs from a fresh compile", p)
			}
		}
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !want[p] && !strings.HasSuffix(p, "/.gitkeep") {
			t.Errorf("stale golden file %s", p)
		}
		return nil
	})
}

// TestCompileIsDeterministic compiles every example twice and compares the bundles byte for
// byte (the golden comparison could not see nondeterminism between two runs of one process).
func TestCompileIsDeterministic(t *testing.T) {
	for name, path := range examples {
		a, b := compileExample(t, path), compileExample(t, path)
		if len(a) != len(b) {
			t.Fatalf("%s: %d vs %d bundles", name, len(a), len(b))
		}
		for i := range a {
			if !bytes.Equal(emit.ManifestOf(a[i]).JSON(), emit.ManifestOf(b[i]).JSON()) {
				t.Errorf("%s: bundle %s differs between two compiles", name, a[i].Name)
			}
		}
	}
}
