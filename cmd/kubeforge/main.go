// Command kubeforge validates a cluster description and compiles it into per-host bundles.
//
// Each command is NewCmdX in its own file, with an XOptions struct whose Complete, Validate
// and Run do the work: the cobra command only binds flags to the options, so tests build
// options and call Run, and the binary's tests run the same path.
package main

import (
	"os"

	"golang.org/x/term"

	"kubeforge.dev/kubeforge/compiler/untrusted"
)

func main() {
	stdout, stderr := untrusted.NewWriter(os.Stdout), untrusted.NewWriter(os.Stderr)
	s := Streams{In: os.Stdin, Out: stdout, ErrOut: stderr, Terminal: terminal(os.Stderr)}
	code := run(os.Args[1:], s)
	stdout.Flush()
	stderr.Flush()
	os.Exit(code)
}

// terminal returns f when it is a terminal, for progress lines; nil otherwise.
func terminal(f *os.File) *os.File {
	if term.IsTerminal(int(f.Fd())) {
		return f
	}
	return nil
}
