// Command kubeforge validates a cluster description and compiles it into per-host bundles.
package main

import (
	"fmt"
	"io"
	"os"
)

// Exit codes: 0 success, 1 invalid input (or differences, for diff), 2 usage or I/O error.
const (
	exitOK      = 0
	exitInvalid = 1
	exitUsage   = 2
)

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"validate", "check a cluster description and show every problem", runValidate},
		{"compile", "compile a description into per-host bundles", runCompile},
		{"diff", "compile in memory and compare with an output directory (exit 1 when different)", runDiff},
		{"pki", "pki check: certificates of a PKI store or bundle with their expiry", runPKI},
		{"schema", "print the CUE schema of the description", runSchema},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "kubeforge: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: kubeforge COMMAND [flags] [DESCRIPTION...]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nWithout DESCRIPTION, the embedded example cluster is used. Run 'kubeforge COMMAND --help' for flags.")
}
