package main

import (
	"fmt"
	"io"
	"slices"

	"kubeforge.dev/kubeforge/emit"
	"kubeforge.dev/kubeforge/render"
)

func runCompile(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("compile", stderr)
	out := fs.StringP("output", "o", "out", "output directory (replaced as a whole, atomically)")
	hosts := fs.StringArray("host", nil, "compile only this host (repeatable); other hosts' output is kept")
	formats := fs.StringSlice("format", []string{string(emit.FormatDir)}, fmt.Sprintf("output formats, comma-separated: %v", emit.Formats()))
	diagFormat := fs.String("diagnostics", "text", "diagnostics format: text or json")
	redact := fs.Bool("redact-secrets", false, "write key material as fingerprints (for golden trees committed without keys)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	var fmts []emit.Format
	for _, f := range *formats {
		if !slices.Contains(emit.Formats(), emit.Format(f)) {
			fmt.Fprintf(stderr, "kubeforge compile: unknown format %q (known: %v)\n", f, emit.Formats())
			return exitUsage
		}
		fmts = append(fmts, emit.Format(f))
	}

	c, src, ds := loadCluster(fs.Args())
	if len(ds) > 0 {
		printDiagnostics(stderr, *diagFormat, ds, src)
	}
	if ds.HasErrors() {
		if ds.HasIOErrors() {
			return exitUsage
		}
		return exitInvalid
	}
	res, err := render.Compile(c, render.Options{Hosts: *hosts})
	if err != nil {
		fmt.Fprintf(stderr, "kubeforge compile: %v\n", err)
		return exitInvalid
	}
	if *redact {
		for i := range res.Hosts {
			res.Hosts[i] = emit.Redact(res.Hosts[i])
		}
	}
	err = emit.Write(*out, emit.Output{Hosts: res.Hosts, Cluster: res.Cluster, Formats: fmts, Partial: len(*hosts) > 0})
	if err != nil {
		fmt.Fprintf(stderr, "kubeforge compile: writing %s: %v\n", *out, err)
		return exitUsage
	}
	files := 0
	for _, b := range res.Hosts {
		files += len(b.Artifacts)
	}
	fmt.Fprintf(stdout, "%s: compiled %d host(s), %d files, into %s\n", c.Name, len(res.Hosts), files, *out)
	return exitOK
}
