package pkistore

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/pki"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// issued issues the example's PKI into the store's content and returns the next content.
func issued(t testing.TB, example string, st *pki.Store) *pki.Store {
	t.Helper()
	c := compilertest.Load(t, example)
	r, err := pki.Issue(c, pki.Options{Store: st, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	return r.Store()
}

// commitNew opens dir for writing, commits next and closes it.
func commitNew(t testing.TB, dir string, next func(*pki.Store) *pki.Store) {
	t.Helper()
	h, err := Open(dir, Write, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Commit(next(h.Content())); err != nil {
		t.Fatal(err)
	}
}

// snapshot returns every entry under dir: mode and content, by relative path.
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if info.IsDir() {
			out[rel+"/"] = info.Mode().String()
			return nil
		}
		if !info.Mode().IsRegular() {
			out[rel] = info.Mode().String()
			return nil
		}
		data, err := os.ReadFile(p)
		out[rel] = info.Mode().String() + " " + string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCommit checks the store's layout and modes, that unknown files survive, that unchanged
// files are linked rather than rewritten, and that nothing but the lock is left beside it.
func TestCommit(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "pki")
	commitNew(t, dir, func(st *pki.Store) *pki.Store { return issued(t, "single-node.yaml", st) })
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("mine\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	caBefore, err := os.Stat(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	// A new host forces a rewrite.
	commitNew(t, dir, func(st *pki.Store) *pki.Store {
		text, _ := os.ReadFile("../../examples/single-node.yaml")
		c := compilertest.LoadYAML(t, string(text)+"  - {name: w9, addresses: [192.168.50.19], roles: [worker]}\n")
		r, err := pki.Issue(c, pki.Options{Store: st, Now: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Changed() {
			t.Fatal("nothing changed")
		}
		return r.Store()
	})
	if caAfter, err := os.Stat(filepath.Join(dir, "ca.crt")); err != nil || !os.SameFile(caBefore, caAfter) {
		t.Errorf("ca.crt was rewritten (%v)", err)
	}
	entries, _ := os.ReadDir(parent)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if d := cmp.Diff([]string{"pki"}, names); d != "" {
		t.Errorf("beside the store:\n%s", d)
	}
	snap := snapshot(t, dir)
	for rel, v := range snap {
		mode := strings.Fields(v)[0]
		switch {
		case strings.HasSuffix(rel, "/"):
			if mode != "drwx------" {
				t.Errorf("%s: %s", rel, mode)
			}
		case strings.HasSuffix(rel, ".key"):
			if mode != "-rw-------" {
				t.Errorf("%s: %s", rel, mode)
			}
		case rel == "README":
			if v != "-rw-r----- mine\n" {
				t.Errorf("README became %q", v)
			}
		case mode != "-rw-r--r--":
			t.Errorf("%s: %s", rel, mode)
		}
	}
	for _, rel := range []string{"ca.crt", "ca.key", "etcd/ca.key", "front-proxy-ca.key", "sa.key", "sa.pub",
		"hosts/lab1/apiserver.key", "hosts/lab1/etcd/server.crt", "hosts/lab1/kubelet-client.key", "hosts/w9/kubelet-serving.crt"} {
		if _, ok := snap[rel]; !ok {
			t.Errorf("store lacks %s", rel)
		}
	}
	// Unchanged content: no update at all.
	h, err := Open(dir, Write, nil)
	if err != nil {
		t.Fatal(err)
	}
	if u := h.Update(h.Content()); u != nil {
		t.Error("an unchanged store has an update")
	}
	h.Close()
}

// TestRollback: a committed update undone puts the old store back exactly, and a new store
// rolled back leaves none.
func TestRollback(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	h, _ := Open(dir, Write, nil)
	u := h.Update(issued(t, "single-node.yaml", h.Content()))
	if err := u.Stage(); err != nil {
		t.Fatal(err)
	}
	if err := u.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := u.Rollback(); err != nil {
		t.Fatal(err)
	}
	u.Finish()
	h.Close()
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Fatalf("a rolled back new store exists (%v)", err)
	}

	commitNew(t, dir, func(st *pki.Store) *pki.Store { return issued(t, "single-node.yaml", st) })
	before := snapshot(t, dir)
	h, _ = Open(dir, Write, nil)
	u = h.Update(issued(t, "ha.yaml", h.Content()))
	if err := u.Stage(); err != nil {
		t.Fatal(err)
	}
	if err := u.Commit(); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(before, snapshot(t, dir)); d == "" {
		t.Fatal("the commit changed nothing")
	}
	if err := u.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := u.Finish(); err != nil {
		t.Fatal(err)
	}
	h.Close()
	if d := cmp.Diff(before, snapshot(t, dir)); d != "" {
		t.Errorf("after rollback the store differs:\n%s", d)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".pki.*-*")); len(m) > 0 {
		t.Errorf("left beside the store: %v", m)
	}
}

// TestStoreThroughSymlink: a store directory reached through a symlink stays where it is and
// the link survives a commit.
func TestStoreThroughSymlink(t *testing.T) {
	real := filepath.Join(t.TempDir(), "pki")
	commitNew(t, real, func(st *pki.Store) *pki.Store { return issued(t, "single-node.yaml", st) })
	link := filepath.Join(t.TempDir(), "pki")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	commitNew(t, link, func(st *pki.Store) *pki.Store { return issued(t, "ha.yaml", st) })
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(real, "hosts/w3/kubelet-serving.crt")); err != nil {
		t.Errorf("the real store lacks the new certificate: %v", err)
	}
}

// TestOpenRefuses: a store others could read, or holding what is not a regular file, is
// refused with a message naming the file, and is left as it was.
func TestOpenRefuses(t *testing.T) {
	cases := []struct {
		name   string
		damage func(dir string) error
		want   []string
	}{
		{"key readable by others", func(d string) error { return os.Chmod(filepath.Join(d, "ca.key"), 0o644) },
			[]string{"ca.key (mode 0644, want 0600)", "chmod -R go-rwx"}},
		{"host key readable by group", func(d string) error { return os.Chmod(filepath.Join(d, "hosts/lab1/apiserver.key"), 0o640) },
			[]string{"hosts/lab1/apiserver.key (mode 0640"}},
		{"store folder open to all", func(d string) error { return os.Chmod(d, 0o777) },
			[]string{"the store directory (mode 0777, want 0700)"}},
		{"host folder readable", func(d string) error { return os.Chmod(filepath.Join(d, "hosts"), 0o755) },
			[]string{"hosts/ (mode 0755"}},
		{"symlink to a key elsewhere", func(d string) error {
			os.Remove(filepath.Join(d, "sa.key"))
			return os.Symlink("/etc/hostname", filepath.Join(d, "sa.key"))
		}, []string{"sa.key is a symbolic link"}},
		{"FIFO", func(d string) error { return syscall.Mkfifo(filepath.Join(d, "hosts/lab1/x.crt"), 0o600) },
			[]string{"hosts/lab1/x.crt", "named pipe"}},
		{"huge file", func(d string) error { return os.WriteFile(filepath.Join(d, "big.crt"), make([]byte, 2<<20), 0o600) },
			[]string{"big.crt", "larger than 1 MiB"}},
		{"interrupted legacy commit", func(d string) error { return os.Rename(d, d+".prev") },
			[]string{"interrupted", ".prev"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pki")
			commitNew(t, dir, func(st *pki.Store) *pki.Store { return issued(t, "single-node.yaml", st) })
			if err := tc.damage(dir); err != nil {
				t.Fatal(err)
			}
			parent := filepath.Dir(dir)
			before := snapshot(t, parent)
			done := make(chan error)
			go func() {
				h, err := Open(dir, Write, nil)
				h.Close()
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("Open hung")
			}
			if err == nil {
				t.Fatal("opened")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if d := cmp.Diff(before, snapshot(t, parent)); d != "" {
				t.Errorf("the store changed:\n%s", d)
			}
		})
	}
}

// TestLeftoversRemoved: a killed commit's staging and trash beside the store are removed by the
// next writer, never by a reader.
func TestLeftoversRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	commitNew(t, dir, func(st *pki.Store) *pki.Store { return issued(t, "single-node.yaml", st) })
	parent := filepath.Dir(dir)
	for _, name := range []string{".pki.staging-123", ".pki.trash-9", ".pki.new-77"} {
		os.MkdirAll(filepath.Join(parent, name, "hosts"), 0o700)
		os.WriteFile(filepath.Join(parent, name, "ca.key"), []byte("k"), 0o600)
	}
	h, err := Open(dir, Read, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	if m, _ := filepath.Glob(filepath.Join(parent, ".pki.*-*")); len(m) != 3 {
		t.Fatalf("a reader removed leftovers: %v", m)
	}
	var notes []string
	h, err = Open(dir, Write, func(s string) { notes = append(notes, s) })
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	if m, _ := filepath.Glob(filepath.Join(parent, ".pki.*-*")); len(m) != 0 {
		t.Errorf("leftovers stay: %v", m)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "interrupted") {
		t.Errorf("notes %q", notes)
	}
}

// holdLock starts a child process holding the store at dir with the given access; it releases
// it when the returned function is called.
func holdLock(t *testing.T, dir string, access Access) func() {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHolderChild$")
	cmd.Env = append(os.Environ(), "KUBEFORGE_LOCK_CHILD="+dir, fmt.Sprintf("KUBEFORGE_LOCK_ACCESS=%d", access))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, _ := stdout.Read(buf); string(buf[:n]) != "locked\n" {
		t.Fatalf("child: %q", buf[:n])
	}
	return func() {
		stdin.Close()
		cmd.Wait()
	}
}

func TestLockHolderChild(t *testing.T) {
	dir := os.Getenv("KUBEFORGE_LOCK_CHILD")
	if dir == "" {
		t.Skip("only run as a child of TestWritersWait")
	}
	access := Read
	if os.Getenv("KUBEFORGE_LOCK_ACCESS") == fmt.Sprint(Write) {
		access = Write
	}
	h, err := Open(dir, access, nil)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("locked")
	io.ReadAll(os.Stdin)
	h.Close()
}

// TestWritersWait: a writer of a store waits for another process writing it, saying so once;
// a reader waits for a writer; a writer for a reader; readers do not wait for each other.
func TestWritersWait(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	for _, tc := range []struct {
		holder, want Access
		waits        bool
	}{{Write, Write, true}, {Write, Read, true}, {Read, Write, true}, {Read, Read, false}} {
		release := holdLock(t, dir, tc.holder)
		waiting := make(chan string, 1)
		opened := make(chan *Handle)
		go func() {
			h, err := Open(dir, tc.want, func(s string) { waiting <- s })
			if err != nil {
				t.Error(err)
			}
			opened <- h
		}()
		if !tc.waits {
			select {
			case h := <-opened:
				h.Close()
			case <-time.After(10 * time.Second):
				t.Fatal("a reader waited for a reader")
			}
			release()
			continue
		}
		select {
		case note := <-waiting:
			if !strings.Contains(note, "waiting for another kubeforge") {
				t.Errorf("note %q", note)
			}
		case <-opened:
			t.Fatalf("access %d did not wait for %d", tc.want, tc.holder)
		case <-time.After(10 * time.Second):
			t.Fatal("no waiting note")
		}
		release()
		select {
		case h := <-opened:
			h.Close()
		case <-time.After(10 * time.Second):
			t.Fatal("still waiting after the holder ended")
		}
	}
}
