package description

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler/diag"
)

const minimalCUE = `apiVersion: "kubeforge.dev/v1alpha1"
kind: "Cluster"
name: "t"
hosts: [{name: "cp1", addresses: ["192.168.0.11"], roles: ["control-plane"]}]
`

// loadWithin loads paths, failing the test if that does not finish: a FIFO would block an
// open or a read forever.
func loadWithin(t *testing.T, paths ...string) diag.List {
	t.Helper()
	done := make(chan diag.List)
	go func() {
		src, ds := Load(paths...)
		if !ds.HasErrors() {
			_, ds = Decode(src)
		}
		done <- ds
	}()
	select {
	case ds := <-done:
		return ds
	case <-time.After(10 * time.Minute): // a hang (a FIFO blocks forever), not a slow machine
		t.Fatalf("loading %v did not finish", paths)
		return nil
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoadRefusesFilesThatAreNotRegular gives the loader FIFOs, devices and huge files, named
// as descriptions or lying in a description's folder or module: each is an I/O error at its
// file, and loading finishes.
func TestLoadRefusesFilesThatAreNotRegular(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(t *testing.T, dir string) // makes dir/...; Load is given dir/arg
		arg    string
		bad    string // the file the error names, relative to dir
		reason string
	}{
		{name: "fifo yaml", setup: func(t *testing.T, d string) { mkfifo(t, filepath.Join(d, "c.yaml")) }, arg: "c.yaml", bad: "c.yaml", reason: "named pipe"},
		{name: "fifo json", setup: func(t *testing.T, d string) { mkfifo(t, filepath.Join(d, "c.json")) }, arg: "c.json", bad: "c.json", reason: "named pipe"},
		{name: "fifo cue", setup: func(t *testing.T, d string) { mkfifo(t, filepath.Join(d, "c.cue")) }, arg: "c.cue", bad: "c.cue", reason: "named pipe"},
		{name: "device yaml", setup: func(t *testing.T, d string) { os.Symlink("/dev/zero", filepath.Join(d, "c.yaml")) }, arg: "c.yaml", bad: "c.yaml", reason: "character device"},
		{name: "fifo in folder", setup: func(t *testing.T, d string) {
			write(t, filepath.Join(d, "pkg", "a.cue"), minimalCUE)
			mkfifo(t, filepath.Join(d, "pkg", "b.cue"))
		}, arg: "pkg", bad: "pkg/b.cue", reason: "named pipe"},
		{name: "device in folder", setup: func(t *testing.T, d string) {
			write(t, filepath.Join(d, "pkg", "a.cue"), minimalCUE)
			os.Symlink("/dev/zero", filepath.Join(d, "pkg", "z.cue"))
		}, arg: "pkg", bad: "pkg/z.cue", reason: "character device"},
		{name: "huge file in folder", setup: func(t *testing.T, d string) {
			write(t, filepath.Join(d, "pkg", "a.cue"), minimalCUE)
			f, err := os.Create(filepath.Join(d, "pkg", "big.cue"))
			if err != nil {
				t.Fatal(err)
			}
			f.Truncate(33 << 20) // sparse: no disk used
			f.Close()
		}, arg: "pkg", bad: "pkg/big.cue", reason: "larger than 32 MiB"},
		{name: "fifo module file", setup: func(t *testing.T, d string) {
			write(t, filepath.Join(d, "m", "a.cue"), "package m\n"+minimalCUE)
			mkfifo(t, filepath.Join(d, "m", "cue.mod", "module.cue"))
		}, arg: "m", bad: "m/cue.mod/module.cue", reason: "named pipe"},
		{name: "fifo in imported package", setup: func(t *testing.T, d string) {
			write(t, filepath.Join(d, "m", "cue.mod", "module.cue"), "module: \"example.com/m\"\nlanguage: version: \"v0.17.0\"\n")
			write(t, filepath.Join(d, "m", "a.cue"), "package m\nimport \"example.com/m/lib\"\nname: lib.n\n"+strings.Replace(minimalCUE, "name: \"t\"\n", "", 1))
			write(t, filepath.Join(d, "m", "lib", "lib.cue"), "package lib\nn: \"t\"\n")
			mkfifo(t, filepath.Join(d, "m", "lib", "more.cue"))
		}, arg: "m", bad: "m/lib/more.cue", reason: "named pipe"},
		{name: "fifo in cue.mod/pkg package", setup: func(t *testing.T, d string) {
			write(t, filepath.Join(d, "m", "cue.mod", "module.cue"), "module: \"example.com/m\"\nlanguage: version: \"v0.17.0\"\n")
			write(t, filepath.Join(d, "m", "a.cue"), "package m\nimport \"example.org/lib\"\nname: lib.n\n"+strings.Replace(minimalCUE, "name: \"t\"\n", "", 1))
			write(t, filepath.Join(d, "m", "cue.mod", "pkg", "example.org", "lib", "lib.cue"), "package lib\nn: \"t\"\n")
			mkfifo(t, filepath.Join(d, "m", "cue.mod", "pkg", "example.org", "lib", "more.cue"))
		}, arg: "m", bad: "m/cue.mod/pkg/example.org/lib/more.cue", reason: "named pipe"},
		{name: "fifo in parent folder of the package", setup: func(t *testing.T, d string) {
			write(t, filepath.Join(d, "m", "cue.mod", "module.cue"), "module: \"example.com/m\"\nlanguage: version: \"v0.17.0\"\n")
			mkfifo(t, filepath.Join(d, "m", "root.cue"))
			write(t, filepath.Join(d, "m", "sub", "a.cue"), "package m\n"+minimalCUE)
		}, arg: "m/sub", bad: "m/root.cue", reason: "named pipe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			ds := loadWithin(t, filepath.Join(dir, tc.arg))
			if !ds.HasIOErrors() || len(ds) != 1 {
				t.Fatalf("want one I/O error, got:\n%v", ds)
			}
			d := ds[0]
			if d.Pos.File != filepath.Join(dir, tc.bad) || !strings.Contains(d.Summary, tc.reason) {
				t.Errorf("want an error at %s saying %q, got %s", tc.bad, tc.reason, d)
			}
		})
	}
}

// TestLoadReadsEachFileOnce checks that the text quoted is the text cue/load parsed: both come
// from one read.
func TestLoadReadsEachFileOnce(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.cue"), "package p\n"+minimalCUE+"kubelet: maxPods: \"x\"\n")
	src, ds := Load(dir)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if len(src.Files) != 1 {
		t.Errorf("files kept: %v", src.FileNames())
	}
	_, ds = Decode(src)
	if len(ds) != 1 || ds[0].Pos.Line != 6 {
		t.Errorf("want the maxPods error at line 6: %v", ds)
	}
}
