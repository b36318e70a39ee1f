package emit

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/testenv"
)

// TestCompileRefusesStoreInOutput: a store inside, equal to or around the output is a setup
// error, and nothing is written anywhere.
func TestCompileRefusesStoreInOutput(t *testing.T) {
	c := compilertest.Load(t, "single-node.yaml")
	for _, tc := range []struct{ out, store string }{
		{"out", "out/pki"}, {"out", "out"}, {"out/inner", "out"}, {"", ""}, {".", "x.pki"},
	} {
		dir := t.TempDir()
		o := CompileOptions{Output: tc.out, StoreDir: tc.store}
		if tc.out != "" {
			o.Output = filepath.Join(dir, tc.out)
		}
		if tc.store != "" {
			o.StoreDir = filepath.Join(dir, tc.store)
		}
		_, err := Compile(c, o)
		if err == nil || StepOf(err) != StepSetup {
			t.Errorf("output %q, store %q: %v (step %s), want a setup error", tc.out, tc.store, err, StepOf(err))
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("output %q, store %q: wrote %v", tc.out, tc.store, entries)
		}
	}
}

// TestCompileStoreAndOutputTogether: a compile writes the store beside the output; compiling
// again changes no byte of either.
func TestCompileStoreAndOutputTogether(t *testing.T) {
	c := compilertest.Load(t, "single-node.yaml")
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	res, err := Compile(c, CompileOptions{Output: out})
	if err != nil {
		t.Fatal(err)
	}
	if res.StoreDir != out+".pki" {
		t.Errorf("store %s", res.StoreDir)
	}
	before := snapshot(t, dir)
	if _, err := Compile(c, CompileOptions{Output: out}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(before, snapshot(t, dir)); d != "" {
		t.Errorf("a second compile changed files:\n%s", d)
	}
}

// TestCompileOnFullOrReadOnlyDisk runs compiles whose output or store cannot be written (a
// tiny tmpfs, a read-only mount, in a private mount namespace): each fails with a write error
// and leaves the store and the output byte for byte as they were, whether they existed or not.
func TestCompileOnFullOrReadOnlyDisk(t *testing.T) {
	if os.Getenv("KUBEFORGE_EMIT_DISK_CHILD") != "" {
		t.Skip("child process")
	}
	testenv.Root(t, "mount namespaces")
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Fatal("unshare (util-linux) is missing")
	}
	for _, tc := range []struct {
		name string
		// mount runs in the namespace before the compile; %s is the directory mounted on.
		mount string
		// where the output and store are, relative to the test directory; "fs" is mounted.
		out, store string
	}{
		{"output disk full", "mount -t tmpfs -o size=64k tmpfs %s", "fs/out", "out.pki"},
		{"store disk full", "mount -t tmpfs -o size=16k tmpfs %s", "out", "fs/pki"},
		{"output read-only", "mount --bind %[1]s %[1]s && mount -o remount,bind,ro %[1]s", "fs/out", "out.pki"},
		{"store read-only", "mount --bind %[1]s %[1]s && mount -o remount,bind,ro %[1]s", "out", "fs/pki"},
	} {
		for _, existing := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, existing %t", tc.name, existing), func(t *testing.T) {
				dir := t.TempDir()
				fs := filepath.Join(dir, "fs")
				os.Mkdir(fs, 0o755)
				out, store := filepath.Join(dir, tc.out), filepath.Join(dir, tc.store)
				if existing {
					c := compilertest.Load(t, "single-node.yaml")
					if _, err := Compile(c, CompileOptions{Output: out, StoreDir: store}); err != nil {
						t.Fatal(err)
					}
				}
				before := snapshot(t, dir)
				script := fmt.Sprintf(tc.mount, fs) + " && exec " + os.Args[0] + " -test.run=^TestCompileDiskChild$"
				cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script)
				cmd.Env = append(os.Environ(), "KUBEFORGE_EMIT_DISK_CHILD=1", "KF_OUT="+out, "KF_STORE="+store)
				output, err := cmd.CombinedOutput()
				t.Logf("%s", output)
				if err == nil || !strings.Contains(string(output), "step write") {
					t.Fatalf("the compile did not fail writing: %v", err)
				}
				if d := cmp.Diff(before, snapshot(t, dir)); d != "" {
					t.Errorf("a failed compile changed files:\n%s", d)
				}
			})
		}
	}
}

// TestCompileDiskChild compiles the ha example (enough files to fill the tiny disks) as
// TestCompileOnFullOrReadOnlyDisk's child.
func TestCompileDiskChild(t *testing.T) {
	if os.Getenv("KUBEFORGE_EMIT_DISK_CHILD") == "" {
		t.Skip("only run as a child of TestCompileOnFullOrReadOnlyDisk")
	}
	c := compilertest.Load(t, "ha.yaml")
	_, err := Compile(c, CompileOptions{Output: os.Getenv("KF_OUT"), StoreDir: os.Getenv("KF_STORE")})
	var ce *CompileError
	if errors.As(err, &ce) {
		t.Fatalf("step %s: %v", ce.Step, err)
	}
	if err != nil {
		t.Fatal(err)
	}
}
