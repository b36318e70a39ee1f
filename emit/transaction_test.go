package emit

import (
	"bufio"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kubeforge.dev/kubeforge/compiler/compilertest"
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

// killChildAt runs the test binary's test named child in a process with env added, reads the
// line it prints when it reaches the point it was told to stop at, kills it there and returns
// the line.
func killChildAt(t *testing.T, child string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+child+"$")
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	cmd.Process.Kill()
	cmd.Wait()
	return line
}

// onlyOutputAndStore checks that parent holds the output and its store and nothing else: a
// clean compile removed what killed ones left beside them.
func onlyOutputAndStore(t *testing.T, parent string) {
	t.Helper()
	entries, _ := os.ReadDir(parent)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if d := cmp.Diff([]string{"out", "out.pki"}, names); d != "" {
		t.Errorf("beside the output after a clean compile:\n%s", d)
	}
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
			for i, point := range killPoints("h3") {
				gen := fmt.Sprint(i + 1)
				line := killChildAt(t, "TestTransactionChild", "KUBEFORGE_EMIT_TX_CHILD="+dir, "KUBEFORGE_EMIT_KIND="+kind,
					"KUBEFORGE_EMIT_GEN="+gen, "KUBEFORGE_EMIT_STOP="+point)
				if !strings.Contains(line, "at "+point) {
					t.Fatalf("child did not reach %q: %q", point, line)
				}
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
			onlyOutputAndStore(t, parent)
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

// killPoints are the steps of a write that changes bundle and keeps the rest, in order: the
// changed bundle written, the kept files linked into the next generation, the output staged,
// the store staged and committed, the output swapped in.
func killPoints(bundle string) []string {
	return []string{"bundle " + bundle, "kept linked", "staged", "store staged", "store committed", "swapped"}
}

// indexedGeneration returns examples/ha.yaml at generation gen: w2's address is the only
// difference between generations, so a compile of the next one renders w2 alone and keeps the
// other hosts through the content index.
func indexedGeneration(t *testing.T, gen int) string {
	if gen == 0 {
		return haDescription(t)
	}
	return haDescription(t, "192.168.10.22", fmt.Sprintf("192.168.10.%d", 100+gen))
}

// TestKilledTransactionIndexed extends TestKilledTransaction to the path a real compile takes
// when the live output's content index keeps hosts: emit.Compile with the PKI store, one
// worker changed, killed at every step. The child reports the bundles it wrote, which shows
// that the other hosts were kept through the index (not rendered at all). After each kill the
// output is the old generation or the new one, complete and byte for byte what a fresh
// compile with the same store writes; the store's certificate of w2 names the address of a
// generation never older than the output's. A clean compile afterwards leaves nothing beside
// the output and the store.
func TestKilledTransactionIndexed(t *testing.T) {
	if os.Getenv("KUBEFORGE_EMIT_IDX_CHILD") != "" {
		t.Skip("child process")
	}
	parent := t.TempDir()
	desc := filepath.Join(t.TempDir(), "cluster.yaml") // the same path for every generation
	out, store := filepath.Join(parent, "out"), filepath.Join(parent, "out.pki")
	compileGen := func(gen int, output string) {
		t.Helper()
		if err := os.WriteFile(desc, []byte(indexedGeneration(t, gen)), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Compile(compilertest.Load(t, desc), CompileOptions{Output: output, StoreDir: store}); err != nil {
			t.Fatal(err)
		}
	}
	// servingAddress returns the address the store's serving certificate of w2 names.
	servingAddress := func() string {
		data, err := os.ReadFile(filepath.Join(store, "hosts", "w2", "kubelet-serving.crt"))
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(data)
		if block == nil {
			t.Fatal("w2's serving certificate is not PEM")
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if len(cert.IPAddresses) != 1 {
			t.Fatalf("w2's serving certificate names %v", cert.IPAddresses)
		}
		return cert.IPAddresses[0].String()
	}
	address := func(gen int) string {
		if gen == 0 {
			return "192.168.10.22"
		}
		return fmt.Sprintf("192.168.10.%d", 100+gen)
	}
	compileGen(0, out)
	outGen, storeGen := 0, 0
	for i, point := range killPoints("w2") {
		gen := i + 1
		if err := os.WriteFile(desc, []byte(indexedGeneration(t, gen)), 0o644); err != nil {
			t.Fatal(err)
		}
		old := snapshot(t, out)
		line := killChildAt(t, "TestIndexedCompileChild", "KUBEFORGE_EMIT_IDX_CHILD="+desc, "KUBEFORGE_EMIT_OUT="+out,
			"KUBEFORGE_EMIT_STOP="+point)
		if want := "at " + point + "; bundles written: w2\n"; line != want {
			t.Fatalf("child: %q, want %q (a bundle other than w2 means the index kept nothing)", line, want)
		}
		switch point {
		case "store committed":
			storeGen = gen
		case "swapped":
			outGen, storeGen = gen, gen
		}
		got := snapshot(t, out)
		if outGen == gen {
			// Compiling the same generation with the same store changes nothing.
			fresh := filepath.Join(t.TempDir(), "out")
			compileGen(gen, fresh)
			if d := cmp.Diff(snapshot(t, fresh), got); d != "" {
				t.Fatalf("killed at %q: the output is not generation %d as a fresh compile writes it:\n%s", point, gen, d)
			}
		} else if d := cmp.Diff(old, got); d != "" {
			t.Fatalf("killed at %q: the output is not the previous generation %d:\n%s", point, outGen, d)
		}
		if got, want := servingAddress(), address(storeGen); got != want {
			t.Fatalf("killed at %q: the store's w2 certificate names %s, want %s (generation %d)", point, got, want, storeGen)
		}
	}
	compileGen(9, out)
	fresh := filepath.Join(t.TempDir(), "out")
	compileGen(9, fresh)
	if d := cmp.Diff(snapshot(t, fresh), snapshot(t, out)); d != "" {
		t.Fatalf("after the leftovers' removal:\n%s", d)
	}
	onlyOutputAndStore(t, parent)
}

// TestIndexedCompileChild compiles the description at KUBEFORGE_EMIT_IDX_CHILD into
// KUBEFORGE_EMIT_OUT and, at KUBEFORGE_EMIT_STOP, prints the bundles it wrote and waits to be
// killed.
func TestIndexedCompileChild(t *testing.T) {
	desc := os.Getenv("KUBEFORGE_EMIT_IDX_CHILD")
	if desc == "" {
		t.Skip("only run as a child of TestKilledTransactionIndexed")
	}
	stop := os.Getenv("KUBEFORGE_EMIT_STOP")
	var mu sync.Mutex
	var written []string
	testPoint = func(p string) {
		mu.Lock()
		if name, ok := strings.CutPrefix(p, "bundle "); ok {
			written = append(written, name)
		}
		if p == stop {
			slices.Sort(written)
			fmt.Printf("at %s; bundles written: %s\n", p, strings.Join(written, ","))
			select {} // wait to be killed, holding mu
		}
		mu.Unlock()
	}
	if _, err := Compile(compilertest.Load(t, desc), CompileOptions{Output: os.Getenv("KUBEFORGE_EMIT_OUT")}); err != nil {
		t.Fatal(err)
	}
}
