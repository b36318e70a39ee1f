package emit

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render"
)

// TestAllFormatsFromACompiledExample emits a real compiled cluster in every format and checks
// that each host got each format's file, and that every tarball holds exactly the host's tree.
// (Each format's own package checks it against its real consumer.)
func TestAllFormatsFromACompiledExample(t *testing.T) {
	c, _, ds := compiler.Load("../examples/ha.yaml")
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	res, err := render.Compile(c, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var inv []HostInfo
	for _, h := range c.Hosts {
		inv = append(inv, HostInfo{Name: h.Name, Address: h.AdvertiseAddress().String(), Roles: []string{string(h.Roles[0])}})
	}
	var notes []string
	dir := filepath.Join(t.TempDir(), "out")
	err = Write(dir, Output{Hosts: res.Hosts, Cluster: res.Cluster, Inventory: inv, Notes: func(s string) { notes = append(notes, s) },
		Formats: []Format{FormatDir, FormatTar, FormatCloudInit, FormatAnsible, FormatIgnition}})
	if err != nil {
		t.Fatal(err)
	}
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
