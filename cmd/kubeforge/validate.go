package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/description"
	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/examples"
	"kubeforge.dev/kubeforge/schema"
)

func newFlags(name string, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: kubeforge %s [flags] [DESCRIPTION...]\n\nflags:\n%s", name, fs.FlagUsages())
	}
	return fs
}

// loadCluster loads the named description files, or the embedded example when none is named.
func loadCluster(paths []string) (*compiler.Cluster, *description.Source, diag.List) {
	if len(paths) == 0 {
		name, data := examples.Default()
		return compiler.LoadBytes(name, data)
	}
	return compiler.Load(paths...)
}

// printDiagnostics writes diagnostics in the chosen format.
func printDiagnostics(w io.Writer, format string, ds diag.List, src *description.Source) {
	if format == "json" {
		diag.WriteJSON(w, ds)
		return
	}
	var files diag.Sources
	if src != nil {
		files = src.Files
	}
	diag.WriteText(w, ds, files)
}

func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("validate", stderr)
	output := fs.StringP("output", "o", "text", "output format: text or json")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "kubeforge validate: %v\n", err)
		return exitUsage
	}
	if *output != "text" && *output != "json" {
		fmt.Fprintf(stderr, "kubeforge validate: --output must be text or json, not %q\n", *output)
		return exitUsage
	}
	c, src, ds := loadCluster(fs.Args())
	switch {
	case *output == "json":
		printDiagnostics(stdout, "json", ds, src)
	case len(ds) > 0:
		printDiagnostics(stderr, "text", ds, src)
	}
	if ds.HasErrors() {
		if ds.HasIOErrors() {
			return exitUsage
		}
		return exitInvalid
	}
	if *output == "text" {
		fmt.Fprintf(stdout, "%s: valid (Kubernetes %s, %d hosts)\n", c.Name, c.Version, len(c.Hosts))
	}
	return exitOK
}

func runSchema(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("schema", stderr)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	stdout.Write(schema.Source())
	return exitOK
}
