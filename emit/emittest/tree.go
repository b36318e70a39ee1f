package emittest

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"kubeforge.dev/kubeforge/render/artifact"
)

// CheckTree fails t for every artifact of b that the tree under root does not hold exactly:
// missing, of the wrong kind, with other content, permission bits, or numeric owner.
func CheckTree(t testing.TB, root string, b artifact.Bundle) {
	t.Helper()
	for _, a := range b.Artifacts {
		p := filepath.Join(root, filepath.FromSlash(a.Path))
		fi, err := os.Lstat(p)
		if err != nil {
			t.Errorf("%s: %s: %v", b.Name, a.Path, err)
			continue
		}
		if fi.IsDir() != a.IsDir() || (!a.IsDir() && !fi.Mode().IsRegular()) {
			t.Errorf("%s: %s is %v, want %v", b.Name, a.Path, fi.Mode().Type(), a.Mode.Type())
			continue
		}
		if got, want := fi.Mode()&^os.ModeType, a.Mode&^os.ModeType; got != want {
			t.Errorf("%s: %s has mode %v, want %v", b.Name, a.Path, got, want)
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && (int(st.Uid) != a.UID || int(st.Gid) != a.GID) {
			t.Errorf("%s: %s is owned by %d:%d, want %d:%d", b.Name, a.Path, st.Uid, st.Gid, a.UID, a.GID)
		}
		if a.IsDir() {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("%s: %v", b.Name, err)
		} else if !bytes.Equal(data, a.Data) {
			t.Errorf("%s: %s holds %d bytes that differ from the bundle's %d", b.Name, a.Path, len(data), len(a.Data))
		}
	}
}

// WriteHostTree writes a host's artifacts under root/host, as the dir format lays a bundle out
// (permission bits only, no owner), and returns root/host.
func WriteHostTree(t testing.TB, root, host string, arts []artifact.Artifact) string {
	t.Helper()
	dir := filepath.Join(root, host)
	for _, a := range arts {
		p := filepath.Join(dir, filepath.FromSlash(a.Path))
		if a.IsDir() {
			if err := os.MkdirAll(p, a.Mode.Perm()); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, a.Data, a.Mode.Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
