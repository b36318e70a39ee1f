package emit

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
)

// loadHA loads examples/ha.yaml (3 control-plane hosts, 3 workers) with the replacements
// old → new applied, from dir/cluster.yaml: the description's directory is an input of every
// host.
func loadHA(t *testing.T, dir string, replace ...string) *compiler.Cluster {
	t.Helper()
	p := filepath.Join(dir, "cluster.yaml")
	if err := os.WriteFile(p, []byte(haDescription(t, replace...)), 0o644); err != nil {
		t.Fatal(err)
	}
	return compilertest.Load(t, p)
}

// haDescription returns examples/ha.yaml with the replacements old → new applied.
func haDescription(t *testing.T, replace ...string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(compilertest.ExamplesDir, "ha.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	for i := 0; i < len(replace); i += 2 {
		if !strings.Contains(src, replace[i]) {
			t.Fatalf("ha.yaml has no %q", replace[i])
		}
		src = strings.Replace(src, replace[i], replace[i+1], 1)
	}
	return src
}

// unchangedNames returns the names of the hosts a compile kept without rendering them.
func unchangedNames(res *CompileResult) []string {
	var out []string
	for _, u := range res.Unchanged {
		out = append(out, u.Name)
	}
	return out
}

// TestIncrementalCompileEqualsFresh: after each edit (none, one worker's address, a
// cluster-wide field, a host's certificate removed from the store), a compile into the existing
// output renders only the hosts whose inputs changed, and the output is byte for byte what a
// fresh compile with the same store writes.
func TestIncrementalCompileEqualsFresh(t *testing.T) {
	dir := t.TempDir()
	out, store := filepath.Join(dir, "out"), filepath.Join(dir, "out.pki")
	c := loadHA(t, dir)
	if _, err := Compile(c, CompileOptions{Output: out}); err != nil {
		t.Fatal(err)
	}
	all := []string{"cp1", "cp2", "cp3", "w1", "w2", "w3"}
	for _, tc := range []struct {
		name     string
		replace  []string
		edit     func(t *testing.T)
		rendered []string
	}{
		{name: "unchanged"},
		{name: "one worker's address", replace: []string{"192.168.10.22", "192.168.10.32"}, rendered: []string{"w2"}},
		{name: "back again", rendered: []string{"w2"}},
		{name: "cluster-wide field", replace: []string{"podSubnets: [10.244.0.0/16]", "podSubnets: [10.128.0.0/16]"}, rendered: all},
		{name: "back again", rendered: all},
		{name: "a certificate removed from the store", edit: func(t *testing.T) {
			if err := os.Remove(filepath.Join(store, "hosts", "w1", "kubelet-client.crt")); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(store, "hosts", "w1", "kubelet-client.key")); err != nil {
				t.Fatal(err)
			}
		}, rendered: []string{"w1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.edit != nil {
				tc.edit(t)
			}
			c := loadHA(t, dir, tc.replace...)
			res, err := Compile(c, CompileOptions{Output: out})
			if err != nil {
				t.Fatal(err)
			}
			var rendered []string
			for _, b := range res.Hosts {
				rendered = append(rendered, b.Name)
			}
			if d := cmp.Diff(tc.rendered, rendered); d != "" {
				t.Errorf("rendered hosts (-want +got):\n%s", d)
			}
			unchanged := slices.DeleteFunc(slices.Clone(all), func(n string) bool { return slices.Contains(tc.rendered, n) })
			if d := cmp.Diff(unchanged, unchangedNames(res), cmpopts.EquateEmpty()); d != "" {
				t.Errorf("unchanged hosts (-want +got):\n%s", d)
			}
			fresh := filepath.Join(t.TempDir(), "out")
			if _, err := Compile(c, CompileOptions{Output: fresh, StoreDir: store}); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(snapshot(t, fresh), snapshot(t, out)); d != "" {
				t.Errorf("the incremental output differs from a fresh compile's:\n%s", d)
			}
		})
	}
}

// TestIncrementalCompileRestoresEdits: a file edited, removed or added in an unchanged host's
// tree, or its manifest edited, makes the compile write that host again; the output is then
// what a fresh compile writes.
func TestIncrementalCompileRestoresEdits(t *testing.T) {
	c := loadHA(t, t.TempDir())
	for name, edit := range map[string]func(out string) error{
		"edited file": func(out string) error {
			return os.WriteFile(filepath.Join(out, "w1", "etc", "kubernetes", "kubelet.conf"), []byte("edited\n"), 0o600)
		},
		"same size": func(out string) error {
			p := filepath.Join(out, "w1", "var", "lib", "kubelet", "config.yaml")
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			data[0] ^= 1
			return os.WriteFile(p, data, 0o644)
		},
		"removed file": func(out string) error {
			return os.Remove(filepath.Join(out, "w1", "etc", "kubernetes", "kubelet.conf"))
		},
		"added file": func(out string) error {
			return os.WriteFile(filepath.Join(out, "w1", "etc", "kubernetes", "extra.conf"), nil, 0o644)
		},
		"edited manifest": func(out string) error {
			f, err := os.OpenFile(filepath.Join(out, "w1.manifest.json"), os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteString(" ")
			return err
		},
		"edited index": func(out string) error {
			p := filepath.Join(out, indexName)
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(p, []byte(strings.Replace(string(data), "f 0644", "f 0640", 1)), 0o644)
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			if _, err := Compile(c, CompileOptions{Output: out}); err != nil {
				t.Fatal(err)
			}
			want := snapshot(t, out)
			// The file system's clock may not have moved on since the compile.
			time.Sleep(20 * time.Millisecond)
			if err := edit(out); err != nil {
				t.Fatal(err)
			}
			res, err := Compile(c, CompileOptions{Output: out})
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(unchangedNames(res), "w1") {
				t.Errorf("w1 was kept as unchanged")
			}
			if d := cmp.Diff(want, snapshot(t, out)); d != "" {
				t.Errorf("not restored:\n%s", d)
			}
		})
	}
}

// TestIndexRoundTrip: an index reads back as written; anything malformed is no index.
func TestIndexRoundTrip(t *testing.T) {
	x := &contentIndex{store: "/s/out.pki", hosts: map[string]indexedHost{
		"w1": {digest: strings.Repeat("a", 64), notAfter: 1827353325, manifestSize: 17, entries: []indexEntry{
			{rel: "etc/kubernetes", dir: true, perm: 0o755}, {rel: "etc/kubernetes/a b.conf", perm: 0o600, size: 12}}},
		"w2": {digest: strings.Repeat("b", 64)},
	}}
	data := x.encode([]string{"w1", "w2"})
	got, err := parseIndex(data)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(x, got, cmp.AllowUnexported(contentIndex{}, indexedHost{}, indexEntry{})); d != "" {
		t.Errorf("read back:\n%s", d)
	}
	for _, bad := range []string{"", "kubeforge content index 2\nstore -\n",
		strings.Replace(string(data), "f 0600 12", "f 0600 -12", 1),
		strings.Replace(string(data), "etc/kubernetes/a b.conf", "../x", 1),
		strings.Replace(string(data), " 2\n", " 3\n", 1),
		string(data) + string(data[strings.Index(string(data), "host w2"):]),
	} {
		if _, err := parseIndex([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// TestStillValid: a host is kept only while its certificates are further from expiry than
// renew-before, as the PKI step keeps them.
func TestStillValid(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	renew := time.Hour
	for _, tc := range []struct {
		notAfter int64
		want     bool
	}{{0, true}, {1_000_000 + 3601, true}, {1_000_000 + 3600, false}, {1_000_000, false}, {999_000, false}} {
		if got := stillValid(tc.notAfter, now, renew); got != tc.want {
			t.Errorf("notAfter %d: %v, want %v", tc.notAfter, got, tc.want)
		}
	}
}
