package main

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/pflag"

	"kubeforge.dev/kubeforge/emit"
	"kubeforge.dev/kubeforge/render"
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

// options returns the PKI options for an output directory, or nil with --no-pki.
func (f pkiFlags) options(out string) *pki.Options {
	if *f.noPKI {
		return nil
	}
	dir := *f.dir
	if dir == "" {
		dir = filepath.Clean(out) + ".pki"
	}
	return &pki.Options{StoreDir: dir, RenewBefore: *f.renewBefore}
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
	res, err := render.Compile(c, render.Options{Hosts: *hosts, PKI: pf.options(*out)})
	if err != nil {
		fmt.Fprintf(stderr, "kubeforge compile: %v\n", err)
		return exitInvalid
	}
	if *redact {
		for i := range res.Hosts {
			res.Hosts[i] = emit.Redact(res.Hosts[i])
		}
	}
	// The store is written before the output, and only once the output is known replaceable:
	// an output whose certificates the store does not hold would be re-issued next time.
	if err := emit.CheckReplaceable(*out); err != nil {
		fmt.Fprintf(stderr, "kubeforge compile: %v\n", err)
		return exitUsage
	}
	if res.PKI != nil && res.PKI.Changed() {
		if err := res.PKI.Commit(); err != nil {
			fmt.Fprintf(stderr, "kubeforge compile: writing the PKI store: %v\n", err)
			return exitUsage
		}
	}
	var inventory []emit.HostInfo
	for _, h := range c.Hosts {
		info := emit.HostInfo{Name: h.Name, Address: h.AdvertiseAddress().String()}
		for _, r := range h.Roles {
			info.Roles = append(info.Roles, string(r))
		}
		inventory = append(inventory, info)
	}
	err = emit.Write(*out, emit.Output{Hosts: res.Hosts, Cluster: res.Cluster, Formats: fmts, Partial: len(*hosts) > 0,
		Inventory: inventory, Notes: func(s string) { fmt.Fprintln(stderr, s) }})
	if err != nil {
		fmt.Fprintf(stderr, "kubeforge compile: writing %s: %v\n", *out, err)
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
