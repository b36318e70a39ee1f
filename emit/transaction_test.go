package emit

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kubeforge.dev/kubeforge/emit/pkistore"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/pki"
)

// storeGeneration returns a store content standing for one generation: a certificate and a
// key whose text names it.
func storeGeneration(gen string) *pki.Store {
	return &pki.Store{Files: map[string]pki.StoreFile{
		"ca.crt":               {Data: []byte("cert " + gen + "\n"), Mode: pki.StoreCertMode},
		"ca.key":               {Data: []byte("key " + gen + "\n"), Mode: pki.StoreKeyMode},
		"hosts/h0/kubelet.key": {Data: []byte("key " + gen + "\n"), Mode: pki.StoreKeyMode},
	}}
}

// writeWithStore writes a generation of the output and of the store together.
func writeWithStore(t testing.TB, dir, store, gen string, hosts int) error {
	t.Helper()
	return writeOutputWithStore(dir, store, gen, sampleOutput(gen, hosts))
}

func writeOutputWithStore(dir, store, gen string, out Output) error {
	h, err := pkistore.Open(store, pkistore.Write, nil)
	if err != nil {
		return err
	}
	defer h.Close()
	out.Store = h.Update(storeGeneration(gen))
	return Write(dir, out)
}

// killedOutputs are the kill test's generations of an output: one where every host changes
// (all written anew), and one where only h3 changes (the others linked from the live output).
var killedOutputs = map[string]func(gen string) Output{
	"whole": func(gen string) Output { return sampleOutput(gen, 20) },
	"incremental": func(gen string) Output {
		out := sampleOutput("0", 20)
		out.Hosts[3] = sampleOutput(gen, 4).Hosts[3]
		return out
	},
}

// storeHolds returns the generation the store at dir holds, checking it holds exactly one.
func storeHolds(t *testing.T, dir string) string {
	t.Helper()
	h, err := pkistore.Open(dir, pkistore.Read, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	gens := map[string]bool{}
	for rel, f := range h.Content().Files {
		_, gen, _ := strings.Cut(strings.TrimSpace(string(f.Data)), " ")
		gens[gen] = true
		if rel == "" {
			t.Fatal("empty name")
		}
	}
	if len(gens) != 1 || len(h.Content().Files) != 3 {
		t.Fatalf("store %s holds %d files of generations %v", dir, len(h.Content().Files), gens)
	}
	for g := range gens {
		return g
	}
	return ""
}

// TestFailedWriteLeavesStore: when the output cannot be written, the store is left exactly as
// it was, whether it existed or not; the output too.
func TestFailedWriteLeavesStore(t *testing.T) {
	parent := t.TempDir()
	dir, store := filepath.Join(parent, "out"), filepath.Join(parent, "out.pki")
	bad := func(gen string) Output {
		out := sampleOutput(gen, 3)
		out.Hosts[2].Add(artifact.File("/../../escape", 0o644, []byte("x")))
		return out
	}
	// No store yet: none afterwards.
	h, err := pkistore.Open(store, pkistore.Write, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := bad("1")
	out.Store = h.Update(storeGeneration("1"))
	if err := Write(dir, out); err == nil {
		t.Fatal("an escaping path was written")
	}
	h.Close()
	if _, err := os.Lstat(store); !os.IsNotExist(err) {
		t.Fatalf("a failed first compile created the store (%v)", err)
	}
	// An existing store and output stay byte for byte.
	if err := writeWithStore(t, dir, store, "2", 3); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, parent)
	h, _ = pkistore.Open(store, pkistore.Write, nil)
	out = bad("3")
	out.Store = h.Update(storeGeneration("3"))
	err = Write(dir, out)
	h.Close()
	if err == nil {
		t.Fatal("an escaping path was written")
	}
	if d := cmp.Diff(before, snapshot(t, parent)); d != "" {
		t.Errorf("a failed compile changed the output or the store:\n%s", d)
	}
}

// TestKilledTransaction kills a process writing the output and the store together at every
// step, both when every host changes and when one does (the others' files linked from the live
// output): the output is the old generation or the new one, complete and exactly as a fresh
// write makes it, and so is the store; the store is never older than the output. The next write
// removes every leftover.
func TestKilledTransaction(t *testing.T) {
	if os.Getenv("KUBEFORGE_EMIT_TX_CHILD") != "" {
		t.Skip("child process")
	}
	for kind, output := range killedOutputs {
		t.Run(kind, func(t *testing.T) {
			parent := t.TempDir()
			dir, store := filepath.Join(parent, "out"), filepath.Join(parent, "out.pki")
			if err := writeOutputWithStore(dir, store, "0", output("0")); err != nil {
				t.Fatal(err)
			}
			// What a fresh write of each generation holds.
			fresh := func(gen string) string {
				ref := filepath.Join(t.TempDir(), "out")
				if err := Write(ref, output(gen)); err != nil {
					t.Fatal(err)
				}
				return snapshot(t, ref)
			}
			outGen, storeGen := "0", "0"
			for i, point := range []string{"bundle h3", "kept linked", "staged", "store staged", "store committed", "swapped"} {
				gen := fmt.Sprint(i + 1)
				cmd := exec.Command(os.Args[0], "-test.run=^TestTransactionChild$")
				cmd.Env = append(os.Environ(), "KUBEFORGE_EMIT_TX_CHILD="+dir, "KUBEFORGE_EMIT_KIND="+kind,
					"KUBEFORGE_EMIT_GEN="+gen, "KUBEFORGE_EMIT_STOP="+point)
				stdout, _ := cmd.StdoutPipe()
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, 64)
				n, _ := stdout.Read(buf)
				if !strings.Contains(string(buf[:n]), "at "+point) {
					t.Fatalf("child did not reach %q: %q", point, buf[:n])
				}
				cmd.Process.Kill()
				cmd.Wait()
				switch point {
				case "store committed":
					storeGen = gen
				case "swapped":
					outGen, storeGen = gen, gen
				}
				if d := cmp.Diff(fresh(outGen), snapshot(t, dir)); d != "" {
					t.Fatalf("killed at %q: output is not generation %s as a fresh write makes it:\n%s", point, outGen, d)
				}
				if got := storeHolds(t, store); got != storeGen {
					t.Fatalf("killed at %q: store holds generation %s, want %s", point, got, storeGen)
				}
			}
			if err := writeOutputWithStore(dir, store, "9", output("9")); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(fresh("9"), snapshot(t, dir)); d != "" {
				t.Fatalf("after the leftovers' removal:\n%s", d)
			}
			entries, _ := os.ReadDir(parent)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if d := cmp.Diff([]string{"out", "out.pki"}, names); d != "" {
				t.Errorf("beside the output after a clean compile:\n%s", d)
			}
		})
	}
}

func TestTransactionChild(t *testing.T) {
	dir := os.Getenv("KUBEFORGE_EMIT_TX_CHILD")
	if dir == "" {
		t.Skip("only run as a child of TestKilledTransaction")
	}
	stop := os.Getenv("KUBEFORGE_EMIT_STOP")
	testPoint = func(p string) {
		if p == stop {
			fmt.Printf("at %s\n", p)
			select {} // wait to be killed
		}
	}
	gen := os.Getenv("KUBEFORGE_EMIT_GEN")
	if err := writeOutputWithStore(dir, dir+".pki", gen, killedOutputs[os.Getenv("KUBEFORGE_EMIT_KIND")](gen)); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentWritersWait: a compile into an output another process is writing waits for
// it, says so, and then writes a complete output of its own.
func TestConcurrentWritersWait(t *testing.T) {
	if os.Getenv("KUBEFORGE_EMIT_WAIT_CHILD") != "" {
		t.Skip("child process")
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := Write(dir, sampleOutput("0", 2)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWaitChild$")
	cmd.Env = append(os.Environ(), "KUBEFORGE_EMIT_WAIT_CHILD="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, _ := stdout.Read(buf); string(buf[:n]) != "staged\n" {
		t.Fatalf("child: %q", buf[:n])
	}
	waited := make(chan string, 1)
	done := make(chan error)
	go func() {
		out := sampleOutput("2", 2)
		out.Notes = func(s string) { waited <- s }
		done <- Write(dir, out)
	}()
	select {
	case note := <-waited:
		if !strings.Contains(note, "waiting for another kubeforge writing") {
			t.Errorf("note %q", note)
		}
	case err := <-done:
		t.Fatalf("the second writer did not wait: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no waiting note")
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := verifyComplete(t, dir); got != "gen 2\n" {
		t.Errorf("output holds %q", got)
	}
}

func TestWaitChild(t *testing.T) {
	dir := os.Getenv("KUBEFORGE_EMIT_WAIT_CHILD")
	if dir == "" {
		t.Skip("only run as a child of TestConcurrentWritersWait")
	}
	testPoint = func(p string) {
		if p == "staged" {
			fmt.Println("staged")
			io.ReadAll(os.Stdin)
		}
	}
	if err := Write(dir, sampleOutput("1", 2)); err != nil {
		t.Fatal(err)
	}
}

// TestStoreOutsideOutput: the store may be beside the output, never the output, inside it or
// around it, links resolved.
func TestStoreOutsideOutput(t *testing.T) {
	d := t.TempDir()
	link := filepath.Join(d, "link")
	os.MkdirAll(filepath.Join(d, "real"), 0o755)
	os.Symlink(filepath.Join(d, "real"), link)
	for _, tc := range []struct {
		out, store string
		ok         bool
	}{
		{"out", "out.pki", true},
		{"out", "../elsewhere/pki", true},
		{"out", "out", false},
		{"out", "out/", false},
		{"out", "./out/../out", false},
		{"out", "out/pki", false},
		{"out", "out/a/b/pki", false},
		{"out/x", "out", false},
		{"link/out", "real/out/pki", false},
		{"real/out", "link/out", false},
		{"link/out", "real/out.pki", true},
	} {
		err := CheckStoreOutside(filepath.Join(d, tc.out), filepath.Join(d, tc.store))
		if (err == nil) != tc.ok {
			t.Errorf("output %s, store %s: %v", tc.out, tc.store, err)
		}
	}
}
