package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"kubeforge.dev/kubeforge/render/testenv"
)

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		testenv.Missing(t, "no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return master, tty
}

// readAll returns what arrives on the master side until the terminal is closed.
func readAll(master *os.File) <-chan string {
	got := make(chan string)
	go func() {
		var b bytes.Buffer
		io.Copy(&b, master) // ends with EIO once the terminal side is closed
		got <- b.String()
	}()
	return got
}

func TestTerminalDetection(t *testing.T) {
	_, tty := openPTY(t)
	if terminal(tty) != tty {
		t.Error("a pseudo-terminal is not taken for a terminal")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if terminal(w) != nil {
		t.Error("a pipe is taken for a terminal")
	}
}

// TestProgressOnTerminal compiles with a terminal as standard error and no delay: the line
// ends with the final counts (the PKI step, every host, the files) and is cleared.
func TestProgressOnTerminal(t *testing.T) {
	master, tty := openPTY(t)
	got := readAll(master)
	s, out, errOut := buffers()
	s.Terminal = tty
	o := &CompileOptions{Streams: s, OutputDir: filepath.Join(t.TempDir(), "out"), Formats: []string{"dir"},
		Report: ReportOptions{Output: outputText, formats: []string{outputText}}}
	if err := runE(o)(nil, []string{"../../examples/ha.yaml"}); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	tty.Close()
	line := <-got
	for _, want := range []string{"\rcompiling: ", "47 certificates issued", "hosts 6/6", "writing "} {
		if !strings.Contains(line, want) {
			t.Errorf("progress does not show %q:\n%q", want, line)
		}
	}
	if !strings.HasSuffix(line, "\r\x1b[K") {
		t.Errorf("the progress line is not cleared at the end: %q", line[max(0, len(line)-40):])
	}
	if !strings.Contains(out.String(), "compiled 6 host(s)") || strings.Contains(out.String(), "compiling:") {
		t.Errorf("stdout:\n%s", out)
	}
}

// TestNoProgressWithoutTerminal: the binary, its standard error a pipe, writes no progress
// however long the compile takes.
func TestNoProgressWithoutTerminal(t *testing.T) {
	t.Parallel()
	r := kubeforge(t, "compile", "-o", filepath.Join(t.TempDir(), "out"), "../../examples/dedicated-etcd.yaml")
	if r.code != exitOK || strings.ContainsAny(r.stderr, "\r\x1b") || strings.Contains(r.stderr, "compiling:") {
		t.Errorf("%q", r.stderr)
	}
}
