package emit

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"

	"go.yaml.in/yaml/v3"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/emit/internal/install"
	"kubeforge.dev/kubeforge/render/artifact"
)

// dirEntry is what one format says of a directory: its mode bits and owner.
type dirEntry struct {
	Mode     uint32
	UID, GID int
}

func (d dirEntry) String() string { return fmt.Sprintf("%04o %d:%d", d.Mode, d.UID, d.GID) }

// TestDirectoriesInEveryFormat compiles a cluster with stacked and dedicated etcd members and
// checks that every directory a bundle lists — /var/lib/etcd and /var/lib/kubelet 0700 as
// kubeadm creates them, among others — reaches every format with its mode and owner: the
// directory tree, the tarball, cloud-init's bootcmd, Ansible's host variables, Ignition's
// storage.directories and the bundle's manifest. A directory missing from one of them would be
// created 0755 by the kubelet's DirectoryOrCreate on the node.
func TestDirectoriesInEveryFormat(t *testing.T) {
	for _, ex := range []string{"dedicated-etcd.yaml", "single-node.yaml"} {
		c, res, dir := writtenInEveryFormat(t, ex, func(string) {})
		for _, b := range res.Hosts {
			h, _ := c.Host(b.Name)
			restricted := []string{compiler.KubeletDir}
			if c.RunsEtcd(h) {
				restricted = append(restricted, c.Etcd.DataDir)
			}
			formats := map[string]map[string]dirEntry{
				"dir":        treeDirs(t, filepath.Join(dir, b.Name), b),
				"tar":        tarDirs(t, filepath.Join(dir, compiler.TarDir, b.Name+compiler.TarSuffix)),
				"cloud-init": cloudInitDirs(t, filepath.Join(dir, compiler.CloudInitDir, b.Name+compiler.CloudInitSuffix)),
				"ansible":    ansibleDirs(t, filepath.Join(dir, compiler.AnsibleDir, "host_vars", b.Name+compiler.HostVarsSuffix)),
				"ignition":   ignitionDirs(t, filepath.Join(dir, compiler.IgnitionDir, b.Name+compiler.IgnitionSuffix)),
				"manifest":   manifestDirs(t, filepath.Join(dir, ManifestFile(b.Name))),
			}
			for _, p := range restricted {
				a, ok := b.Lookup(p)
				if !ok || !a.IsDir() || a.Mode.Perm() != 0o700 {
					t.Errorf("%s %s: %s listed %v as %v, want a directory 0700", ex, b.Name, p, ok, a.Mode)
				}
			}
			for _, a := range b.Artifacts {
				if !a.IsDir() {
					continue
				}
				want := dirEntry{Mode: install.Bits(a.Mode), UID: a.UID, GID: a.GID}
				for name, got := range formats {
					if g, ok := got[a.Path]; !ok || g != want {
						t.Errorf("%s %s: %s in %s: %v (listed %v), want %v", ex, b.Name, a.Path, name, g, ok, want)
					}
				}
			}
		}
	}
}

// treeDirs returns the mode and owner of each directory the bundle lists, as written under root.
func treeDirs(t *testing.T, root string, b artifact.Bundle) map[string]dirEntry {
	t.Helper()
	out := map[string]dirEntry{}
	for _, a := range b.Artifacts {
		if !a.IsDir() {
			continue
		}
		fi, err := os.Lstat(filepath.Join(root, a.Path))
		if err != nil || !fi.IsDir() {
			t.Errorf("%s: %s is not a directory of the tree (%v)", b.Name, a.Path, err)
			continue
		}
		uid, gid := ownerOf(fi)
		out[a.Path] = dirEntry{Mode: install.Bits(fi.Mode()), UID: uid, GID: gid}
	}
	return out
}

func tarDirs(t *testing.T, p string) map[string]dirEntry {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]dirEntry{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeDir {
			out["/"+filepath.Clean(h.Name)] = dirEntry{Mode: uint32(h.Mode) & 0o7777, UID: h.Uid, GID: h.Gid}
		}
	}
}

// cloudInitDirs reads the `install -d -m MODE -o UID -g GID PATH` commands of bootcmd.
func cloudInitDirs(t *testing.T, p string) map[string]dirEntry {
	t.Helper()
	var doc struct {
		BootCmd [][]string `yaml:"bootcmd"`
	}
	readYAML(t, p, &doc)
	out := map[string]dirEntry{}
	for _, cmd := range doc.BootCmd {
		if len(cmd) != 9 || !slices.Equal([]string{cmd[0], cmd[1], cmd[2], cmd[4], cmd[6]}, []string{"install", "-d", "-m", "-o", "-g"}) {
			continue
		}
		mode, err1 := strconv.ParseUint(cmd[3], 8, 32)
		uid, err2 := strconv.Atoi(cmd[5])
		gid, err3 := strconv.Atoi(cmd[7])
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatalf("%s: %v: %v", p, cmd, err)
		}
		out[cmd[8]] = dirEntry{Mode: uint32(mode), UID: uid, GID: gid}
	}
	return out
}

// ansibleDirs reads kubeforge_dirs of a host's variables (every string tagged !unsafe; the
// owners are names, of which the bundles use root only).
func ansibleDirs(t *testing.T, p string) map[string]dirEntry {
	t.Helper()
	var doc struct {
		Dirs []struct{ Path, Mode, Owner, Group yaml.Node } `yaml:"kubeforge_dirs"`
	}
	readYAML(t, p, &doc)
	id := map[string]int{"root": 0}
	out := map[string]dirEntry{}
	for _, d := range doc.Dirs {
		if d.Mode.Value == "" {
			continue // an implicit parent: left as the node has it
		}
		mode, err := strconv.ParseUint(d.Mode.Value, 8, 32)
		uid, okU := id[d.Owner.Value]
		gid, okG := id[d.Group.Value]
		if err != nil || !okU || !okG {
			t.Fatalf("%s: %s: mode %q owner %q:%q", p, d.Path.Value, d.Mode.Value, d.Owner.Value, d.Group.Value)
		}
		out["/"+d.Path.Value] = dirEntry{Mode: uint32(mode), UID: uid, GID: gid}
	}
	return out
}

// ignitionDirs reads storage.directories; Ignition's default owner is root.
func ignitionDirs(t *testing.T, p string) map[string]dirEntry {
	t.Helper()
	var cfg struct {
		Storage struct {
			Directories []struct {
				Path  string
				Mode  uint32
				User  struct{ ID int }
				Group struct{ ID int }
			}
		}
	}
	readJSON(t, p, &cfg)
	out := map[string]dirEntry{}
	for _, d := range cfg.Storage.Directories {
		out[d.Path] = dirEntry{Mode: d.Mode, UID: d.User.ID, GID: d.Group.ID}
	}
	return out
}

func manifestDirs(t *testing.T, p string) map[string]dirEntry {
	t.Helper()
	var m Manifest
	readJSON(t, p, &m)
	out := map[string]dirEntry{}
	for _, e := range m.Files {
		if e.Type != "directory" {
			continue
		}
		mode, err := strconv.ParseUint(e.Mode, 8, 32)
		if err != nil {
			t.Fatalf("%s: %s: mode %q", p, e.Path, e.Mode)
		}
		out[e.Path] = dirEntry{Mode: uint32(mode), UID: e.UID, GID: e.GID}
	}
	return out
}

func readYAML(t *testing.T, p string, v any) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
}

func readJSON(t *testing.T, p string, v any) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
}

// ownerOf returns the owner of a file written by the test (its own uid and gid when the
// platform does not say).
func ownerOf(fi os.FileInfo) (uid, gid int) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return os.Getuid(), os.Getgid()
}
