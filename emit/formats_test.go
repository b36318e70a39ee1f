package emit

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/emit/emittest"
	"kubeforge.dev/kubeforge/render/artifact"
)

// TestAllFormatsFromACompiledExample emits a real compiled cluster in every format and checks
// that each host got each format's file, and that every tarball holds exactly the host's tree.
// (Each format's own package checks it against its real consumer.)
func TestAllFormatsFromACompiledExample(t *testing.T) {
	var notes []string
	_, res, dir := writtenInEveryFormat(t, "ha.yaml", func(s string) { notes = append(notes, s) })
	if len(notes) != len(res.Hosts) {
		t.Errorf("expected one user-data size note per host, got %v", notes)
	}
	for _, p := range []string{"ansible/inventory.yml", "ansible/site.yml", "cluster.manifest.json"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Error(err)
		}
	}
	for _, b := range res.Hosts {
		for _, p := range []string{"cloud-init/" + b.Name + ".yaml", "ignition/" + b.Name + ".ign"} {
			if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
				t.Error(err)
			}
		}
		data, err := os.ReadFile(filepath.Join(dir, "tar", b.Name+".tar"))
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(bytes.NewReader(data))
		files := 0
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if hdr.Typeflag != tar.TypeReg {
				continue
			}
			files++
			content, _ := io.ReadAll(tr)
			onDisk, err := os.ReadFile(filepath.Join(dir, b.Name, hdr.Name))
			if err != nil || !bytes.Equal(content, onDisk) {
				t.Errorf("%s.tar: %s differs from the directory output (%v)", b.Name, hdr.Name, err)
			}
		}
		want := 0
		for _, a := range b.Artifacts {
			if !a.IsDir() {
				want++
			}
		}
		if files != want {
			t.Errorf("%s.tar holds %d files, the bundle %d", b.Name, files, want)
		}
	}
}

// TestEveryFormatCombination writes the same compile with each of the 31 combinations of
// formats. Every output holds the cluster tree and all manifests, host trees only with dir;
// diff finds it equal to the compile, and finds exactly the files a changed compile changes:
// against the tree's lines with dir, against the manifests' digests without.
func TestEveryFormatCombination(t *testing.T) {
	hosts := emittest.Bundles()
	cluster := artifact.Bundle{Name: artifact.ClusterBundle}
	cluster.Add(artifact.File("/00-rbac/00-clusterrolebinding.yaml", 0o644, []byte("kind: ClusterRoleBinding\n")))
	inv := []HostInfo{{Name: "cp1", Address: "10.0.0.11", Roles: []string{"control-plane"}}, {Name: "w1", Address: "10.0.0.21", Roles: []string{"worker"}}}
	all := Formats()
	next := changedCompile()
	for set := 1; set < 1<<len(all); set++ {
		var fmts []Format
		for i, f := range all {
			if set&(1<<i) != 0 {
				fmts = append(fmts, f)
			}
		}
		name := fmt.Sprint(fmts)
		dir := filepath.Join(t.TempDir(), "out")
		if err := Write(dir, Output{Hosts: hosts, Cluster: &cluster, Formats: fmts, Inventory: inv}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		emittest.CheckTree(t, filepath.Join(dir, "cluster"), cluster)
		for _, b := range append([]artifact.Bundle{cluster}, hosts...) {
			if _, err := os.Stat(filepath.Join(dir, ManifestFile(b.Name))); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		_, err := os.Stat(filepath.Join(dir, "cp1"))
		if withDir := slices.Contains(fmts, FormatDir); withDir != (err == nil) {
			t.Errorf("%s: host tree present: %v", name, err == nil)
		}
		bundles := append(slices.Clone(hosts), cluster)
		if changes, err := Diff(dir, bundles); err != nil || len(changes) != 0 {
			t.Fatalf("%s: the same compile differs: %v\n%s", name, err, reported(changes))
		}
		changes, err := Diff(dir, append(slices.Clone(next), cluster))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, c := range changes {
			got[c.String()] = c.Detail
		}
		wantText := "-net.ipv4.ip_forward = 1\n+net.ipv4.ip_forward = 0\n"
		if !slices.Contains(fmts, FormatDir) {
			wantText = "sha256:"
		}
		for line, detail := range map[string]string{
			"changed cp1:" + compiler.SysctlPath:        wantText,
			"changed cp1:" + compiler.KubeletConfigPath: "mode 0644 -> 0640",
			"changed cp1:" + compiler.CAKeyPath:         "secret sha256:",
			"added cp1:/etc/new.conf":                   "0644, 4 bytes",
			"removed cp1:" + compiler.ModulesLoadPath:   "",
		} {
			d, ok := got[line]
			if !ok || !strings.Contains(d, detail) {
				t.Errorf("%s: %s: detail %q, want %q", name, line, d, detail)
			}
		}
		if len(changes) != 5 {
			t.Errorf("%s: %d changes:\n%s", name, len(changes), reported(changes))
		}
	}
}

// changedCompile returns the bundles with cp1 changed: a text file's content, a mode, a key,
// a file added and one gone.
func changedCompile() []artifact.Bundle {
	next := emittest.Bundles()
	cp := &next[0]
	var kept []artifact.Artifact
	for _, a := range cp.Artifacts {
		switch a.Path {
		case compiler.SysctlPath:
			a.Data = bytes.Replace(a.Data, []byte("ip_forward = 1"), []byte("ip_forward = 0"), 1)
		case compiler.KubeletConfigPath:
			a.Mode = 0o640
		case compiler.CAKeyPath:
			a.Data = []byte("another key")
		case compiler.ModulesLoadPath:
			continue
		}
		kept = append(kept, a)
	}
	cp.Artifacts = append(kept, artifact.File("/etc/new.conf", 0o644, []byte("new\n")))
	cp.Sort()
	return next
}

// TestRefusesCollidingNames: a host named like the cluster bundle or like a format's
// directory would have its files mixed with theirs; Write refuses before writing anything.
func TestRefusesCollidingNames(t *testing.T) {
	cluster := artifact.Bundle{Name: artifact.ClusterBundle}
	for _, name := range []string{"cluster", "tar", "ansible", "cloud-init", "ignition", ".kubeforge-output", "a/b", ".."} {
		hosts := emittest.Bundles()
		hosts[1].Name = name
		dir := filepath.Join(t.TempDir(), "out")
		err := Write(dir, Output{Hosts: hosts, Cluster: &cluster, Formats: []Format{FormatDir, FormatTar}})
		if err == nil {
			t.Errorf("host %q: written", name)
		}
		if _, serr := os.Stat(dir); serr == nil {
			t.Errorf("host %q: %s was created (%v)", name, dir, err)
		}
	}
}
