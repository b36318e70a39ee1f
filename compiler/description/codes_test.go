package description

import (
	"os"
	"path/filepath"
	"testing"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// TestLoadCodes: the problems of what Load is given, which the corpus (one description a
// case, each with positions) cannot hold, carry their codes.
func TestLoadCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	txt := write("cluster.txt", "name: x\n")
	write("a/a.cue", "package a\nname: \"x\"\n")
	write("b/b.cue", "package b\nkind: \"Cluster\"\n")
	for _, tc := range []struct {
		name  string
		paths []string
		want  diag.Code
	}{
		{"no path", nil, diag.CodeNoDescription},
		{"unknown file type", []string{txt}, diag.CodeUnknownFileType},
		{"missing file", []string{filepath.Join(dir, "nope.yaml")}, diag.CodeIO},
		{"two packages", []string{filepath.Join(dir, "a"), filepath.Join(dir, "b")}, diag.CodeCUEPackages},
	} {
		_, ds := Load(tc.paths...)
		if len(ds) != 1 || ds[0].Code != tc.want {
			t.Errorf("%s: %v, want one diagnostic with code %s", tc.name, ds, tc.want)
			continue
		}
		if io := tc.want.IsIO(); ds.HasIOErrors() != io {
			t.Errorf("%s: HasIOErrors is %t", tc.name, !io)
		}
	}
}
