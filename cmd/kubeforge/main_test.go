package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// kubeforgeBin is the binary built once by TestMain; the CLI's tests run it as users do.
var kubeforgeBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kubeforge-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	kubeforgeBin = filepath.Join(dir, "kubeforge")
	build := exec.Command("go", "build", "-o", kubeforgeBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building kubeforge:", err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of the binary gave.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// kubeforge runs the binary with args in the package directory, standard input empty.
func kubeforge(t *testing.T, args ...string) result {
	t.Helper()
	return kubeforgeIn(t, "", nil, args...)
}

// kubeforgeIn runs the binary in dir (the package directory when empty) with stdin.
func kubeforgeIn(t *testing.T, dir string, stdin io.Reader, args ...string) result {
	t.Helper()
	cmd := exec.Command(kubeforgeBin, args...)
	cmd.Dir = dir
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if exit, ok := err.(*exec.ExitError); ok {
		r.code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("running kubeforge %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// buffers returns Streams on buffers, for tests that call an XOptions' Run.
func buffers() (Streams, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, &out, &errOut
}
