package compiler_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/emit"
)

// longestHostName returns a valid host name of n characters: labels of at most 60.
func longestHostName(n int) string {
	var labels []string
	for n > 0 {
		l := min(n, 60)
		labels = append(labels, strings.Repeat(string(rune('a'+len(labels))), l))
		n -= l + 1
	}
	return strings.Join(labels, ".")
}

// TestLongestHostNameIsWritten checks that what validate accepts, compile can write: a host
// with the longest name the checks allow is compiled and written in every format, and the
// output's top level holds only what the layout constants name.
func TestLongestHostNameIsWritten(t *testing.T) {
	long := longestHostName(compiler.MaxHostNameLen)
	if len(long) != compiler.MaxHostNameLen {
		t.Fatalf("built a name of %d characters", len(long))
	}
	desc := `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
hosts:
  - {name: cp1, addresses: [192.168.0.11], roles: [control-plane]}
  - {name: ` + long + `, nodeName: w1, addresses: [192.168.0.21], roles: [worker]}
`
	c, _, ds := compiler.LoadBytes("long.yaml", []byte(desc))
	if ds.HasErrors() || len(ds) > 0 {
		t.Fatalf("diagnostics: %v", ds)
	}
	tooLong := strings.Replace(desc, long, longestHostName(compiler.MaxHostNameLen+1), 1)
	if _, _, ds := compiler.LoadBytes("long.yaml", []byte(tooLong)); !ds.HasErrors() {
		t.Fatalf("a host name of %d characters was accepted", compiler.MaxHostNameLen+1)
	}

	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if _, err := emit.Compile(c, emit.CompileOptions{Output: out, Formats: emit.Formats()}); err != nil {
		t.Fatalf("compiling: %v", err)
	}

	// Every top-level entry is a host's tree or manifest, or one the layout reserves.
	allowed := []string{".kubeforge-output", compiler.ClusterBundleDir + compiler.ManifestSuffix}
	allowed = append(allowed, compiler.ReservedOutputNames...)
	for _, h := range c.Hosts {
		allowed = append(allowed, h.Name, h.Name+compiler.ManifestSuffix)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !slices.Contains(allowed, e.Name()) {
			t.Errorf("output entry %q is not in the layout (compiler/layout.go)", e.Name())
		}
	}
	for _, p := range []string{
		filepath.Join(compiler.TarDir, long+compiler.TarSuffix),
		filepath.Join(compiler.CloudInitDir, long+compiler.CloudInitSuffix),
		filepath.Join(compiler.IgnitionDir, long+compiler.IgnitionSuffix),
		filepath.Join(compiler.AnsibleDir, "host_vars", long+compiler.HostVarsSuffix),
	} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("the layout names %s: %v", p, err)
		}
	}
}
