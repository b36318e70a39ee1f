package main

import (
	"fmt"
	"io"

	"kubeforge.dev/kubeforge/emit"
)

func runDiff(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("diff", stderr)
	against := fs.String("against", "out", "output directory or golden tree to compare with")
	hosts := fs.StringArray("host", nil, "compare only this host (repeatable)")
	nameOnly := fs.Bool("name-only", false, "list changed files without their diffs")
	pf := addPKIFlags(fs)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	c, src, ds := loadCluster(fs.Args())
	if len(ds) > 0 {
		printDiagnostics(stderr, "text", ds, src)
	}
	if ds.HasErrors() {
		return exitUsage
	}
	// The store is read, never written: diff changes nothing.
	res, err := emit.Preview(c, emit.CompileOptions{Output: *against, Hosts: *hosts, NoPKI: *pf.noPKI,
		StoreDir: *pf.dir, RenewBefore: *pf.renewBefore, Notes: func(s string) { fmt.Fprintln(stderr, s) }})
	if err != nil {
		fmt.Fprintf(stderr, "kubeforge diff: %v\n", err)
		return exitUsage
	}
	bundles := res.Hosts
	if res.Cluster != nil {
		bundles = append(bundles, *res.Cluster)
	}
	changes, err := emit.Diff(*against, bundles)
	if err != nil {
		fmt.Fprintf(stderr, "kubeforge diff: %v\n", err)
		return exitUsage
	}
	for _, ch := range changes {
		fmt.Fprintln(stdout, ch)
		if !*nameOnly && ch.Detail != "" {
			fmt.Fprintln(stdout, indent(ch.Detail))
		}
	}
	if len(changes) > 0 {
		fmt.Fprintf(stdout, "%d file(s) differ\n", len(changes))
		return exitInvalid
	}
	return exitOK
}

func indent(s string) string {
	out := "    "
	for i := 0; i < len(s); i++ {
		out += string(s[i])
		if s[i] == '\n' && i < len(s)-1 {
			out += "    "
		}
	}
	return out
}
