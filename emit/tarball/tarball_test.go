package tarball

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/emit/emittest"
	"kubeforge.dev/kubeforge/emit/internal/install"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/testenv"
)

// longPath needs more than USTAR's 100+155 characters, forcing a PAX header.
var longPath = "/etc/kubernetes/" + strings.Repeat("deeply-nested-directory/", 12) + "file.conf"

// testBundles returns the shared bundles plus one exercising a PAX header.
func testBundles() []artifact.Bundle {
	bs := emittest.Bundles()
	bs[1].Add(artifact.File(longPath, 0o640, []byte("x=1\n")))
	bs[1].Sort()
	return bs
}

func write(t *testing.T, b artifact.Bundle) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDeterministic(t *testing.T) {
	for _, b := range testBundles() {
		first := write(t, b)
		// Reversing the input must not matter either: entries are sorted by the writer.
		slices.Reverse(b.Artifacts)
		if second := write(t, b); !bytes.Equal(first, second) {
			t.Errorf("%s: two writes differ", b.Name)
		}
	}
}

// TestHeaders reads the archive back: relative names, parents (those the bundle names)
// before children, root owner names, the fixed time, USTAR unless the path needs PAX, and no
// entry for a directory the bundle does not name.
func TestHeaders(t *testing.T) {
	for _, b := range testBundles() {
		named := map[string]bool{}
		for _, a := range b.Artifacts {
			named[install.Relative(a.Path)] = true
		}
		tr := tar.NewReader(bytes.NewReader(write(t, b)))
		seen := map[string]bool{}
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			name := strings.TrimSuffix(h.Name, "/")
			if strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
				t.Errorf("%s: entry %q is not relative to /", b.Name, h.Name)
			}
			if !named[name] {
				t.Errorf("%s: entry %s is not in the bundle", b.Name, name)
			}
			if parent := filepath.Dir(name); named[parent] && !seen[parent] {
				t.Errorf("%s: %s comes before its parent %s", b.Name, name, parent)
			}
			seen[name] = true
			if h.Uname != "root" || h.Gname != "root" || h.Uid != 0 || h.Gid != 0 {
				t.Errorf("%s: %s owned by %s(%d):%s(%d), want root", b.Name, name, h.Uname, h.Uid, h.Gname, h.Gid)
			}
			if !h.ModTime.Equal(ModTime) {
				t.Errorf("%s: %s has time %v", b.Name, name, h.ModTime)
			}
			wantFormat := tar.FormatPAX
			if fitsUSTAR(h.Name) {
				wantFormat = tar.FormatUSTAR
			}
			if h.Format != wantFormat {
				t.Errorf("%s: %s has format %v, want %v", b.Name, name, h.Format, wantFormat)
			}
		}
		if len(seen) != len(named) {
			t.Errorf("%s: %d entries for %d artifacts", b.Name, len(seen), len(named))
		}
	}
}

// extract installs the bundle's archive into root with GNU tar, as an operator would
// (`tar -xpf HOST.tar -C /`), under the usual umask 022.
func extract(t *testing.T, b artifact.Bundle, root string) {
	t.Helper()
	testenv.Tool(t, "tar")
	if os.Geteuid() != 0 {
		testenv.Missing(t, "extracting with owners needs root, as `tar -xpf host.tar -C /` does")
	}
	archive := filepath.Join(t.TempDir(), b.Name+".tar")
	if err := os.WriteFile(archive, write(t, b), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sh", "-c", `umask 022 && exec tar -xpf "$0" -C "$1"`, archive, root).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("%s: tar -xpf: %v\n%s", b.Name, err, out)
	}
}

// TestExtract installs each archive with the real tar into an empty root and compares the
// tree with the bundle.
func TestExtract(t *testing.T) {
	for _, b := range testBundles() {
		root := t.TempDir()
		extract(t, b, root)
		emittest.CheckTree(t, root, b)

		// Nothing more than the bundle and the parents it leaves implicit is installed; tar
		// creates those 0777 minus the umask.
		p, err := install.New(b)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]fs.FileMode{}
		for _, d := range p.Dirs {
			want[install.Relative(d.Path)] = d.Mode
		}
		for _, f := range p.Files {
			want[install.Relative(f.Path)] = f.Mode
		}
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || path == root {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			mode, ok := want[filepath.ToSlash(rel)]
			if !ok {
				t.Errorf("%s: tar installed %s, which is not in the bundle", b.Name, rel)
				return nil
			}
			fi, err := d.Info()
			if err == nil && fi.Mode() != mode {
				t.Errorf("%s: %s has mode %v, want %v", b.Name, rel, fi.Mode(), mode)
			}
			delete(want, filepath.ToSlash(rel))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for rel := range want {
			t.Errorf("%s: %s not installed", b.Name, rel)
		}
	}
}

// TestExtractKeepsSharedParents extracts onto a root shaped like a node: /etc, /var/lib,
// /etc/systemd/system and the other parents the bundle does not own exist, with their own
// modes and an earlier time. Each keeps its mode; its time is never set back (it only moves
// forward when the directory gains an entry), and a parent that gains nothing keeps its time
// exactly.
func TestExtractKeepsSharedParents(t *testing.T) {
	b := emittest.Bundles()[0]
	root := t.TempDir()
	shared := map[string]fs.FileMode{
		"etc": 0o755, "etc/systemd": 0o755, "etc/systemd/system": 0o755, "etc/sysctl.d": 0o755,
		"etc/modules-load.d": 0o755, "etc/firewalld": 0o750, "etc/firewalld/services": 0o750,
		"etc/firewalld/zones": 0o750, "var": 0o755, "var/lib": 0o711, "usr": 0o755,
	}
	// Those that gain no entry: their children all exist already.
	untouched := []string{"etc/systemd", "etc/firewalld", "var", "usr"}
	before := time.Now().Add(-time.Hour).Truncate(time.Second)
	for _, d := range slices.Sorted(maps.Keys(shared)) {
		p := filepath.Join(root, d)
		if err := os.Mkdir(p, shared[d]); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, shared[d])
	}
	for d := range shared {
		os.Chtimes(filepath.Join(root, d), before, before)
	}
	extract(t, b, root)
	emittest.CheckTree(t, root, b)
	for d, mode := range shared {
		fi, err := os.Stat(filepath.Join(root, d))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("/%s: mode %v, was %v", d, fi.Mode().Perm(), mode)
		}
		if fi.ModTime().Before(before) {
			t.Errorf("/%s: time set back to %v", d, fi.ModTime())
		}
		if slices.Contains(untouched, d) && !fi.ModTime().Equal(before) {
			t.Errorf("/%s: time changed to %v though it gained no entry", d, fi.ModTime())
		}
	}

	// A root without /etc: tar creates it, 0755 under umask 022, with the current time.
	bare := t.TempDir()
	extract(t, b, bare)
	emittest.CheckTree(t, bare, b)
	if fi, err := os.Stat(filepath.Join(bare, "etc")); err != nil || fi.Mode().Perm() != 0o755 || fi.ModTime().Before(before) {
		t.Errorf("/etc created by tar: %v %v", fi, err)
	}
}

// fitsUSTAR reports whether name fits USTAR's 100-byte name field, or splits at a slash into
// a prefix of at most 155 bytes and a name of at most 100.
func fitsUSTAR(name string) bool {
	if len(name) <= 100 {
		return true
	}
	for i := range len(name) {
		if name[i] == '/' && i <= 155 && len(name)-i-1 <= 100 && i < len(name)-1 {
			return true
		}
	}
	return false
}

func TestRejectsBadBundles(t *testing.T) {
	for name, arts := range map[string][]artifact.Artifact{
		"relative":       {artifact.File("etc/x", 0o644, nil)},
		"unclean":        {artifact.File("/etc/../x", 0o644, nil)},
		"duplicate":      {artifact.File("/etc/x", 0o644, nil), artifact.File("/etc/x", 0o600, nil)},
		"file as parent": {artifact.File("/etc/x", 0o644, nil), artifact.File("/etc/x/y", 0o644, nil)},
		"symlink":        {{Path: "/etc/x", Mode: fs.ModeSymlink | 0o777}},
	} {
		if err := Write(io.Discard, artifact.Bundle{Name: "h", Artifacts: arts}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
