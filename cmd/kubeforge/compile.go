package main

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/pflag"

	"kubeforge.dev/kubeforge/emit"
	"kubeforge.dev/kubeforge/render/pki"
)

// pkiFlags are the PKI flags compile and diff share.
type pkiFlags struct {
	dir         *string
	renewBefore *time.Duration
	noPKI       *bool
}

func addPKIFlags(fs *pflag.FlagSet) pkiFlags {
	return pkiFlags{
		dir:         fs.String("pki-dir", "", "PKI store: CAs and issued certificates kept across compiles (default: OUTPUT.pki beside the output)"),
		renewBefore: fs.Duration("renew-before", pki.DefaultRenewBefore, "re-issue certificates expiring within this duration"),
		noPKI:       fs.Bool("no-pki", false, "compile without certificates, keys and kubeconfigs"),
	}
}

func runCompile(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("compile", stderr)
	out := fs.StringP("output", "o", "out", "output directory (replaced as a whole, atomically)")
	hosts := fs.StringArray("host", nil, "compile only this host (repeatable); other hosts' output is kept")
	formats := fs.StringSlice("format", []string{string(emit.FormatDir)}, fmt.Sprintf("output formats, comma-separated: %v", emit.Formats()))
	diagFormat := fs.String("diagnostics", "text", "diagnostics format: text or json")
	redact := fs.Bool("redact-secrets", false, "write key material as fingerprints (for golden trees committed without keys)")
	verbose := fs.BoolP("verbose", "v", false, "list every certificate kept, not only those issued or re-issued")
	pf := addPKIFlags(fs)
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
	res, err := emit.Compile(c, emit.CompileOptions{Output: *out, Hosts: *hosts, Formats: fmts, NoPKI: *pf.noPKI,
		StoreDir: *pf.dir, RenewBefore: *pf.renewBefore, Redact: *redact, Notes: func(s string) { fmt.Fprintln(stderr, s) }})
	if err != nil {
		fmt.Fprintf(stderr, "kubeforge compile: %v\n", err)
		if emit.StepOf(err) == emit.StepRender {
			return exitInvalid
		}
		return exitUsage
	}
	files := 0
	for _, b := range res.Hosts {
		files += len(b.Artifacts)
	}
	fmt.Fprintf(stdout, "%s: compiled %d host(s), %d files, into %s\n", c.Name, len(res.Hosts), files, *out)
	if res.PKI != nil {
		printPKIReport(stdout, res.PKI.Report(), *verbose)
	}
	return exitOK
}

// printPKIReport says what the PKI step did: counts, then each re-issued file with the reason
// (and, when verbose, every issued and kept one).
func printPKIReport(w io.Writer, events []pki.Event, verbose bool) {
	counts := map[pki.EventKind]int{}
	for _, e := range events {
		counts[e.Kind]++
	}
	fmt.Fprintf(w, "pki: %d issued, %d re-issued, %d kept\n", counts[pki.Issued], counts[pki.Reissued], counts[pki.Kept])
	for _, e := range events {
		if e.Kind != pki.Reissued && e.Reason == "" && !verbose {
			continue
		}
		name := e.Name
		if e.Host != "" {
			name = e.Host + "/" + e.Name
		}
		line := fmt.Sprintf("  %-10s %s", e.Kind, name)
		if e.Reason != "" {
			line += ": " + e.Reason
		}
		fmt.Fprintln(w, line)
	}
}
