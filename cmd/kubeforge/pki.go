package main

import (
	"fmt"
	"io"
	"time"

	"kubeforge.dev/kubeforge/render/pki"
)

const pkiUsage = "usage: kubeforge pki check [--pki-dir DIR | --bundle DIR] [--output json]\n"

// runPKI runs `kubeforge pki check`: every certificate of a PKI store or of a bundle tree, with
// its expiry and remaining time. Exit 1 when one has expired.
func runPKI(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprint(stderr, pkiUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return exitOK
		}
		return exitUsage
	}
	fs := newFlags("pki check", stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, "%s\nflags:\n%s", pkiUsage, fs.FlagUsages()) }
	storeDir := fs.String("pki-dir", "", "PKI store directory to check")
	bundle := fs.String("bundle", "", "compiled bundle directory (one host's or all hosts') to check")
	output := fs.StringP("output", "o", "text", "output format: text or json")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	if *output != "text" && *output != "json" {
		fmt.Fprintf(stderr, "kubeforge pki check: --output must be text or json, not %q\n", *output)
		return exitUsage
	}
	if fs.NArg() > 0 || (*storeDir == "") == (*bundle == "") {
		fmt.Fprintf(stderr, "kubeforge pki check: give exactly one of --pki-dir and --bundle\n")
		fs.Usage()
		return exitUsage
	}
	dir := *storeDir + *bundle
	statuses, err := pki.Check(dir, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "kubeforge pki check: %v\n", err)
		return exitUsage
	}
	if *output == "json" {
		err = pki.WriteJSON(stdout, statuses)
	} else {
		err = pki.WriteTable(stdout, statuses)
	}
	if err != nil {
		fmt.Fprintf(stderr, "kubeforge pki check: %v\n", err)
		return exitUsage
	}
	for _, s := range statuses {
		if s.Expired {
			return exitInvalid
		}
	}
	return exitOK
}
