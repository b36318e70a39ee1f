package emit

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kubeforge.dev/kubeforge/render/artifact"
)

// incrementalOutput is an output with a cluster bundle and every format but ansible (which
// needs an inventory); changed names the host whose files carry generation "2", the others
// carry "1".
func incrementalOutput(changed string) Output {
	out := sampleOutput("1", 5)
	for i, b := range out.Hosts {
		if b.Name == changed {
			out.Hosts[i] = sampleOutput("2", i+1).Hosts[i]
		}
	}
	cluster := artifact.Bundle{Name: "cluster"}
	cluster.Add(artifact.File("/rbac/nodes.yaml", 0o644, []byte("kind: ClusterRole\n")))
	out.Cluster = &cluster
	out.Formats = []Format{FormatDir, FormatTar, FormatCloudInit, FormatIgnition}
	return out
}

// inodeState is what a write changes of an entry when it touches it.
type inodeState struct {
	Ino          uint64
	Mtime, Ctime syscall.Timespec
}

// inodes returns the state of every entry under dir, the root included, by relative path.
func inodes(t *testing.T, dir string) map[string]inodeState {
	t.Helper()
	states := map[string]inodeState{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st syscall.Stat_t
		if err := syscall.Lstat(p, &st); err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		states[rel] = inodeState{Ino: st.Ino, Mtime: st.Mtim, Ctime: st.Ctim}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return states
}

// freshSnapshot returns what a write of out into a new directory holds.
func freshSnapshot(t *testing.T, out Output) string {
	t.Helper()
	ref := filepath.Join(t.TempDir(), "out")
	if err := Write(ref, out); err != nil {
		t.Fatal(err)
	}
	return snapshot(t, ref)
}

// TestUnchangedWriteTouchesNothing: writing the output a directory already holds changes no
// entry of it (no inode, no modification or status-change time) and leaves nothing beside it.
func TestUnchangedWriteTouchesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := Write(dir, incrementalOutput("")); err != nil {
		t.Fatal(err)
	}
	before := inodes(t, dir)
	if err := Write(dir, incrementalOutput("")); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(before, inodes(t, dir)); d != "" {
		t.Errorf("an unchanged write touched the output:\n%s", d)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 1 {
		t.Errorf("beside the output: %v", entries)
	}
}

// TestChangedWriteKeepsTheRest: when one host changes, only its changed files are new inodes;
// every other file is the same inode with the same modification time, and the output is byte
// for byte what a fresh write makes.
func TestChangedWriteKeepsTheRest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := Write(dir, incrementalOutput("")); err != nil {
		t.Fatal(err)
	}
	before := inodes(t, dir)
	next := incrementalOutput("h2")
	if err := Write(dir, next); err != nil {
		t.Fatal(err)
	}
	after := inodes(t, dir)
	rewritten := []string{}
	for rel, b := range before {
		a, ok := after[rel]
		if !ok {
			t.Errorf("%s is gone", rel)
			continue
		}
		if fi, _ := os.Lstat(filepath.Join(dir, rel)); fi.Mode().IsRegular() && (a.Ino != b.Ino || a.Mtime != b.Mtime) {
			rewritten = append(rewritten, rel)
		}
	}
	// h2's files whose content changed, its manifest and its format files; the marker
	// starts the new generation.
	want := []string{
		".kubeforge-output",
		"cloud-init/h2.yaml",
		"h2.manifest.json",
		"h2/etc/kubernetes/manifests/etcd.yaml",
		"h2/etc/kubernetes/pki/ca.key",
		"h2/var/lib/kubelet/config.yaml",
		"ignition/h2.ign",
		"tar/h2.tar",
	}
	slices.Sort(rewritten)
	if d := cmp.Diff(want, rewritten); d != "" {
		t.Errorf("files rewritten (-want +got):\n%s", d)
	}
	if d := cmp.Diff(freshSnapshot(t, next), snapshot(t, dir)); d != "" {
		t.Errorf("the output differs from a fresh write:\n%s", d)
	}
}

// TestEditedOutputRestored: whatever an operator changed in the output since the last write,
// the next write of the same output puts back exactly what a fresh write makes.
func TestEditedOutputRestored(t *testing.T) {
	later := time.Now().Add(time.Minute) // an edit made after the write
	for name, edit := range map[string]func(dir string) error{
		"file edited, same size": func(dir string) error {
			p := filepath.Join(dir, "h1/var/lib/kubelet/config.yaml")
			data, _ := os.ReadFile(p)
			data[0] = 'y'
			if err := os.WriteFile(p, data, 0o644); err != nil {
				return err
			}
			return os.Chtimes(p, later, later)
		},
		"file edited, longer": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "h1/etc/kubernetes/manifests/etcd.yaml"), []byte("gen 11\n"), 0o600)
		},
		"file mode": func(dir string) error {
			return os.Chmod(filepath.Join(dir, "h1/etc/kubernetes/pki/ca.key"), 0o644)
		},
		"directory mode": func(dir string) error {
			return os.Chmod(filepath.Join(dir, "h1/etc/kubernetes/manifests"), 0o755)
		},
		"file removed": func(dir string) error {
			return os.Remove(filepath.Join(dir, "h1/etc/kubernetes/pki/ca.key"))
		},
		"file added": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "h1/etc/extra"), []byte("x"), 0o644)
		},
		"file replaced by a link": func(dir string) error {
			p := filepath.Join(dir, "h1/var/lib/kubelet/config.yaml")
			os.Remove(p)
			return os.Symlink("/etc/passwd", p)
		},
		"bundle removed": func(dir string) error {
			return os.RemoveAll(filepath.Join(dir, "h1"))
		},
		"manifest edited": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "h1.manifest.json"), []byte("{}\n"), 0o644)
		},
		"format file edited, same size and time": func(dir string) error {
			p := filepath.Join(dir, "cloud-init/h1.yaml")
			fi, _ := os.Stat(p)
			data, _ := os.ReadFile(p)
			data[len(data)-2] ^= 1
			if err := os.WriteFile(p, data, 0o600); err != nil {
				return err
			}
			return os.Chtimes(p, fi.ModTime(), fi.ModTime())
		},
		"top-level file added": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
		},
		"format file added": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "tar/h9.tar"), []byte("x"), 0o600)
		},
		"cluster file edited": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "cluster/rbac/nodes.yaml"), []byte("kind: Role\n"), 0o644)
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			out := incrementalOutput("")
			if err := Write(dir, out); err != nil {
				t.Fatal(err)
			}
			want := snapshot(t, dir)
			if err := edit(dir); err != nil {
				t.Fatal(err)
			}
			if snapshot(t, dir) == want {
				t.Fatal("the edit changed nothing")
			}
			if err := Write(dir, out); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, snapshot(t, dir)); d != "" {
				t.Errorf("not restored:\n%s", d)
			}
		})
	}
}
