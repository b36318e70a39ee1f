package emit

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"kubeforge.dev/kubeforge/render/artifact"
)

func sampleOutput(generation string, hosts int) Output {
	var out Output
	for i := range hosts {
		b := artifact.Bundle{Name: fmt.Sprintf("h%d", i)}
		b.Add(
			artifact.Dir("/etc/kubernetes/manifests", 0o700),
			artifact.File("/etc/kubernetes/manifests/etcd.yaml", 0o600, []byte("gen "+generation+"\n")),
			artifact.File("/var/lib/kubelet/config.yaml", 0o644, []byte(strings.Repeat("x", 2000)+generation)),
			artifact.Artifact{Path: "/etc/kubernetes/pki/ca.key", Mode: 0o600, Data: []byte("key " + generation), Secret: true},
		)
		b.Sort()
		out.Hosts = append(out.Hosts, b)
	}
	return out
}

// verifyComplete checks that dir holds exactly one generation's complete output: every
// manifest entry exists with its mode and digest.
func verifyComplete(t *testing.T, dir string) string {
	t.Helper()
	manifests, _ := filepath.Glob(filepath.Join(dir, "*.manifest.json"))
	if len(manifests) == 0 {
		t.Fatalf("%s: no manifests", dir)
	}
	gens := map[string]bool{}
	for _, mf := range manifests {
		data, err := os.ReadFile(mf)
		if err != nil {
			t.Fatal(err)
		}
		var m Manifest
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", mf, err)
		}
		for _, e := range m.Files {
			p := filepath.Join(dir, m.Bundle, e.Path)
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("manifest %s lists %s: %v", mf, e.Path, err)
			}
			if got := fmt.Sprintf("%04o", fi.Mode().Perm()); got != e.Mode {
				t.Errorf("%s: mode %s, manifest says %s", p, got, e.Mode)
			}
			if e.Type == "file" {
				data, _ := os.ReadFile(p)
				if got := (artifact.Artifact{Data: data}).SHA256(); got != e.SHA256 {
					t.Fatalf("%s: content does not match manifest", p)
				}
				if strings.HasSuffix(p, "etcd.yaml") {
					gens[string(data)] = true
				}
			}
		}
	}
	if len(gens) != 1 {
		t.Fatalf("%s mixes generations: %v", dir, gens)
	}
	for g := range gens {
		return g
	}
	return ""
}

func TestWriteModesAndManifest(t *testing.T) {
	old := syscall.Umask(0o077) // a strict umask must not change the bundle's modes
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "out")
	if err := Write(dir, sampleOutput("1", 2)); err != nil {
		t.Fatal(err)
	}
	verifyComplete(t, dir)
	for p, want := range map[string]fs.FileMode{
		"h0/etc/kubernetes/manifests":           0o700,
		"h0/etc/kubernetes/manifests/etcd.yaml": 0o600,
		"h0/var/lib/kubelet/config.yaml":        0o644,
		"h0/etc/kubernetes/pki/ca.key":          0o600,
		"h0/etc":                                0o755,
	} {
		fi, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %o, want %o", p, fi.Mode().Perm(), want)
		}
	}
}

func TestWriteTwiceIsIdentical(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := Write(dir, sampleOutput("1", 3)); err != nil {
		t.Fatal(err)
	}
	first := snapshot(t, dir)
	if err := Write(dir, sampleOutput("1", 3)); err != nil {
		t.Fatal(err)
	}
	if second := snapshot(t, dir); first != second {
		t.Fatal("second write of the same output differs")
	}
	// Nothing is left beside the output.
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Fatalf("leftovers beside the output: %v", entries)
	}
}

func snapshot(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := d.Info()
		fmt.Fprintf(&b, "%s %v", strings.TrimPrefix(p, dir), fi.Mode())
		if !d.IsDir() {
			data, _ := os.ReadFile(p)
			b.Write(data)
		}
		b.WriteByte('\n')
		return nil
	})
	return b.String()
}

func TestRefusesForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	precious := filepath.Join(dir, "precious.txt")
	os.WriteFile(precious, []byte("keep me"), 0o644)
	err := Write(dir, sampleOutput("1", 1))
	if err == nil || !strings.Contains(err.Error(), "not written by kubeforge") {
		t.Fatalf("Write over a foreign directory: err = %v", err)
	}
	if data, _ := os.ReadFile(precious); string(data) != "keep me" {
		t.Fatal("foreign file was touched")
	}
}

func TestPartialReplacesOnlyNamedHosts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	full := sampleOutput("1", 3)
	if err := Write(dir, full); err != nil {
		t.Fatal(err)
	}
	part := sampleOutput("2", 3)
	part.Hosts = part.Hosts[1:2]
	part.Partial = true
	if err := Write(dir, part); err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]string{"h0": "gen 1\n", "h1": "gen 2\n", "h2": "gen 1\n"} {
		data, err := os.ReadFile(filepath.Join(dir, host, "etc/kubernetes/manifests/etcd.yaml"))
		if err != nil || string(data) != want {
			t.Errorf("%s: %q, %v; want %q", host, data, err, want)
		}
	}
}

func TestRejectsEscapingPaths(t *testing.T) {
	for _, p := range []string{"relative/file", "/../etc/passwd", "/"} {
		out := Output{Hosts: []artifact.Bundle{{Name: "h", Artifacts: []artifact.Artifact{artifact.File(p, 0o644, nil)}}}}
		if err := Write(filepath.Join(t.TempDir(), "out"), out); err == nil {
			t.Errorf("path %q: expected an error", p)
		}
	}
}

// TestKilledWriteLeavesOldOrNew kills a process writing a large output at known moments (while
// host trees are written, once everything is staged, right after the swap); each time the
// output directory must hold one complete generation: the old one before the swap, the new one
// after it.
func TestKilledWriteLeavesOldOrNew(t *testing.T) {
	if os.Getenv("KUBEFORGE_EMIT_CHILD") != "" {
		t.Skip("child process")
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := Write(dir, sampleOutput("0", 50)); err != nil {
		t.Fatal(err)
	}
	want := "gen 0\n"
	for i, point := range []string{"bundle h0", "bundle h25", "staged", "swapped"} {
		gen := fmt.Sprint(i + 1)
		cmd := exec.Command(os.Args[0], "-test.run=^TestEmitChild$")
		cmd.Env = append(os.Environ(), "KUBEFORGE_EMIT_CHILD="+dir, "KUBEFORGE_EMIT_GEN="+gen, "KUBEFORGE_EMIT_STOP="+point)
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		n, _ := stdout.Read(buf) // the child prints when it reaches the point, then waits
		if !strings.Contains(string(buf[:n]), "at "+point) {
			t.Fatalf("child did not reach %q: %q", point, buf[:n])
		}
		cmd.Process.Kill()
		cmd.Wait()
		if point == "swapped" {
			want = "gen " + gen + "\n"
		}
		if got := verifyComplete(t, dir); got != want {
			t.Fatalf("killed at %q: output holds %q, want %q", point, got, want)
		}
	}
	// The next compile clears what the killed ones left beside the output.
	if err := Write(dir, sampleOutput("9", 2)); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 1 {
		t.Fatalf("leftovers beside the output after a clean compile: %v", entries)
	}
}

func TestEmitChild(t *testing.T) {
	dir := os.Getenv("KUBEFORGE_EMIT_CHILD")
	if dir == "" {
		t.Skip("only run as a child of TestKilledWriteLeavesOldOrNew")
	}
	stop := os.Getenv("KUBEFORGE_EMIT_STOP")
	testPoint = func(p string) {
		if p == stop {
			fmt.Printf("at %s\n", p)
			select {} // wait to be killed
		}
	}
	if err := Write(dir, sampleOutput(os.Getenv("KUBEFORGE_EMIT_GEN"), 50)); err != nil {
		t.Fatal(err)
	}
}
