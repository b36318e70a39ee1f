package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// runCLI runs the binary and returns the exit code and outputs.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	r := kubeforge(t, args...)
	return r.code, r.stdout, r.stderr
}

// tree returns every path below dir with its content, for before/after comparisons.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		fi, _ := d.Info()
		content := fi.Mode().String()
		if !d.IsDir() {
			data, _ := os.ReadFile(p)
			content += string(data)
		}
		out[strings.TrimPrefix(p, dir)] = content
		return nil
	})
	return out
}

func sameTree(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestCompileTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if code, _, stderr := runCLI(t, "compile", "-o", out, "../../examples/ha.yaml"); code != exitOK {
		t.Fatalf("compile: %d %s", code, stderr)
	}
	first, firstStore := tree(t, out), tree(t, out+".pki")
	code, stdout, _ := runCLI(t, "compile", "-o", out, "../../examples/ha.yaml")
	if code != exitOK || !strings.Contains(stdout, "pki: 0 issued, 0 re-issued, 47 kept") {
		t.Fatalf("second compile: %d %s", code, stdout)
	}
	if !sameTree(first, tree(t, out)) || !sameTree(firstStore, tree(t, out+".pki")) {
		t.Fatal("a second compile over the same store changed the output or the store")
	}
}

func TestInvalidDescriptionWritesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if code, _, stderr := runCLI(t, "compile", "-o", out, "../../examples/ha.yaml"); code != exitOK {
		t.Fatalf("compile: %d %s", code, stderr)
	}
	before, beforeStore := tree(t, out), tree(t, out+".pki")
	code, _, stderr := runCLI(t, "compile", "-o", out, corpus+"invalid/max-pods-300.yaml")
	if code != exitInvalid || !strings.Contains(stderr, "max-pods-300.yaml:7:12") {
		t.Fatalf("invalid compile: %d %s", code, stderr)
	}
	if !sameTree(before, tree(t, out)) || !sameTree(beforeStore, tree(t, out+".pki")) {
		t.Fatal("an invalid description changed the output or the store")
	}
	// Nor into a fresh directory.
	fresh := filepath.Join(dir, "fresh")
	runCLI(t, "compile", "-o", fresh, corpus+"invalid/max-pods-300.yaml")
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Fatalf("an invalid description created %s", fresh)
	}
	if _, err := os.Stat(fresh + ".pki"); !os.IsNotExist(err) {
		t.Fatalf("an invalid description created a PKI store")
	}
}

func TestCompileOneHostKeepsTheOthers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if code, _, stderr := runCLI(t, "compile", "-o", out, "../../examples/ha.yaml"); code != exitOK {
		t.Fatalf("compile: %d %s", code, stderr)
	}
	before := tree(t, out)
	code, stdout, stderr := runCLI(t, "compile", "-o", out, "--host", "w2", "../../examples/ha.yaml")
	if code != exitOK || !strings.Contains(stdout, "compiled 1 host(s)") {
		t.Fatalf("--host compile: %d %s %s", code, stdout, stderr)
	}
	if !sameTree(before, tree(t, out)) {
		t.Fatal("recompiling one unchanged host changed the output")
	}
	if code, _, stderr := runCLI(t, "compile", "-o", out, "--host", "nosuch", "../../examples/ha.yaml"); code != exitInvalid || !strings.Contains(stderr, "no host named nosuch") {
		t.Fatalf("unknown host: %d %s", code, stderr)
	}
}

// TestDiffIsACIGate: equal output gives 0; changing one worker's address gives 1 and names
// exactly the files that depend on that address.
func TestDiffIsACIGate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if code, _, stderr := runCLI(t, "compile", "-o", out, "../../examples/ha.yaml"); code != exitOK {
		t.Fatalf("compile: %d %s", code, stderr)
	}
	if code, stdout, stderr := runCLI(t, "diff", "--against", out, "../../examples/ha.yaml"); code != exitOK {
		t.Fatalf("diff of an unchanged description: %d\n%s%s", code, stdout, stderr)
	}
	storeBefore := tree(t, out+".pki")

	src, _ := os.ReadFile("../../examples/ha.yaml")
	changed := filepath.Join(dir, "ha.yaml")
	os.WriteFile(changed, bytes.Replace(src, []byte("192.168.10.22"), []byte("192.168.10.42"), 1), 0o644)
	code, stdout, stderr := runCLI(t, "diff", "--name-only", "--against", out, changed)
	if code != exitInvalid {
		t.Fatalf("diff after an address change: %d\n%s%s", code, stdout, stderr)
	}
	var files []string
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if strings.HasPrefix(line, "changed ") || strings.HasPrefix(line, "added ") || strings.HasPrefix(line, "removed ") {
			files = append(files, line)
		}
	}
	want := []string{
		"changed w2:/var/lib/kubelet/kubeadm-flags.env", // --node-ip
		"changed w2:/var/lib/kubelet/pki/kubelet.crt",   // serving cert SANs
		"changed w2:/var/lib/kubelet/pki/kubelet.key",   // re-issued with a new key
	}
	slices.Sort(files)
	if !slices.Equal(files, want) {
		t.Fatalf("diff named:\n%s\nwant:\n%s", strings.Join(files, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(stdout, "PRIVATE KEY") {
		t.Fatal("diff printed key material")
	}
	if !sameTree(storeBefore, tree(t, out+".pki")) {
		t.Fatal("diff wrote to the PKI store")
	}
}
