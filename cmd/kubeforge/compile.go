package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/emit"
)

// CompileOptions are the inputs of kubeforge compile.
type CompileOptions struct {
	Description DescriptionOptions
	Report      ReportOptions
	PKI         PKIOptions
	OutputDir   string
	Hosts       []string
	Formats     []string
	// RedactSecrets writes key material as fingerprints.
	RedactSecrets bool
	// Verbose lists every certificate kept, not only those issued or re-issued.
	Verbose bool
	// Diagnostics is the deprecated --diagnostics: "json" means --output json.
	Diagnostics string
	// ProgressDelay is how long a compile runs before a terminal shows its progress.
	ProgressDelay time.Duration
	Streams

	formats []emit.Format
}

// NewCmdCompile returns kubeforge compile.
func NewCmdCompile(s Streams) *cobra.Command {
	o := &CompileOptions{Streams: s, ProgressDelay: progressDelay}
	cmd := &cobra.Command{
		Use:   "compile [FILE...] [-o DIR]",
		Short: "Compile a description into per-host bundles",
		Long: `Compile every host of a description (or those named with --host) into DIR: one tree per
host at node paths, a manifest per host, and the cluster bundle. DIR is replaced as a whole,
atomically; an invalid description writes nothing.

Certificates, keys and kubeconfigs come from the PKI store (--pki-dir, by default DIR.pki
beside DIR): a compile creates what is missing, keeps what still matches the description,
re-issues the rest and says why. The store holds the CA keys: keep it out of version control
(add *.pki/ to .gitignore) and back it up.

On a terminal, a compile that takes more than a second shows its progress on standard error.`,
		Example: `  kubeforge compile cluster.yaml -o out
  kubeforge compile cluster.yaml -o out --host w3            # one host; the others are kept
  kubeforge compile cluster.yaml -o out --format dir,tar,ansible
  kubeforge compile cluster.yaml -o golden --no-pki          # a tree to commit and diff against
  kubeforge compile cluster.yaml -o out --output json > compile.json`,
		ValidArgsFunction: completeDescriptionFiles,
		RunE:              runE(o),
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.OutputDir, "output-dir", "o", "out", "directory to write (replaced as a whole, atomically)")
	fs.StringArrayVar(&o.Hosts, "host", nil, "compile only this host (repeatable); other hosts' output is kept")
	fs.StringSliceVar(&o.Formats, "format", []string{string(emit.FormatDir)}, "output formats, comma-separated: "+formatList())
	fs.BoolVar(&o.RedactSecrets, "redact-secrets", false, "write key material as fingerprints (for golden trees committed without keys)")
	fs.BoolVarP(&o.Verbose, "verbose", "v", false, "list every certificate kept, not only those issued or re-issued")
	fs.StringVar(&o.Diagnostics, "diagnostics", "", "deprecated: --output json")
	fs.MarkHidden("diagnostics")
	o.Description.AddFlags(cmd)
	o.PKI.AddFlags(fs)
	o.Report.AddFlags(cmd, outputText, outputJSON, outputGitHub)
	cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(formatNames(), cobra.ShellCompDirectiveNoFileComp))
	cmd.RegisterFlagCompletionFunc("host", completeHosts)
	cmd.MarkFlagDirname("output-dir")
	cmd.MarkFlagDirname("pki-dir")
	return cmd
}

func (o *CompileOptions) Complete(args []string) error {
	o.Description.Files, o.Description.In = args, o.In
	if o.Report.informs() {
		o.Description.Notices = o.ErrOut
	}
	if o.Diagnostics != "" {
		fmt.Fprintln(o.ErrOut, "kubeforge compile: --diagnostics is deprecated: use --output json")
		if o.Diagnostics == outputJSON && o.Report.Output == outputText {
			o.Report.Output = outputJSON
		}
	}
	o.formats = nil
	for _, f := range o.Formats {
		o.formats = append(o.formats, emit.Format(f))
	}
	return nil
}

func (o *CompileOptions) Validate() error {
	for _, f := range o.formats {
		if !slices.Contains(emit.Formats(), f) {
			return usagef("unknown format %q (known: %s)", f, formatList())
		}
	}
	if o.Diagnostics != "" && o.Diagnostics != outputText && o.Diagnostics != outputJSON {
		return usagef("--diagnostics must be text or json, not %q", o.Diagnostics)
	}
	if o.OutputDir == "" {
		return usagef("-o/--output-dir must name a directory")
	}
	for _, err := range []error{o.Description.Validate(), o.Report.Validate(), o.PKI.Validate()} {
		if err != nil {
			return err
		}
	}
	return nil
}

// Run compiles and writes the output: the PKI store first, once the output is known
// replaceable, then the output directory, each replaced atomically.
func (o *CompileOptions) Run() error {
	c, src, ds := o.Description.Load()
	rep := &compileReport{Diagnostics: append(diag.List{}, ds.Sorted()...)}
	o.Report.printDiagnostics(o.Streams, ds, src)
	if code := o.Report.verdict(ds); code != exitOK {
		return o.finish(rep, &exitError{code: code})
	}
	rep.describe(c)

	var progress *progressLine
	if o.Report.informs() {
		progress = startProgress(o.Terminal, o.ProgressDelay)
	}
	defer progress.Stop()
	res, err := emit.Compile(c, o.compileOptions(progress, rep))
	progress.Stop()
	if err != nil {
		return o.finish(rep, failf(compileExit(err), "%v", err))
	}
	rep.result(res, o.OutputDir, o.formats)
	return o.finish(rep, nil)
}

// compileOptions returns what emit.Compile needs: the flags, with notes going to the report
// (or to stderr at once when they say the compile waits) and progress to the terminal.
func (o *CompileOptions) compileOptions(progress *progressLine, rep *compileReport) emit.CompileOptions {
	return emit.CompileOptions{
		Output: o.OutputDir, Hosts: o.Hosts, Formats: o.formats,
		NoPKI: o.PKI.NoPKI, StoreDir: o.PKI.StoreDir, RenewBefore: o.PKI.RenewBefore, Redact: o.RedactSecrets,
		Notes: func(s string) {
			if strings.HasPrefix(s, "waiting") && o.Report.informs() {
				fmt.Fprintln(o.ErrOut, s)
				return
			}
			rep.Notes = append(rep.Notes, s)
		},
		Progress: progress.compile,
		Writing:  progress.writing,
	}
}

// finish prints the report as --output asks and returns err: the JSON document comes whatever
// the outcome, the text summary only on success.
func (o *CompileOptions) finish(rep *compileReport, err error) error {
	if o.Report.Output == outputJSON {
		if err != nil {
			rep.Error = strings.TrimSpace(err.Error())
			if exit, ok := err.(*exitError); ok && exit.err == nil {
				rep.Error = ""
			}
		}
		if werr := writeJSON(o.Out, rep); werr != nil && err == nil {
			return failf(exitUsage, "%v", werr)
		}
		return err
	}
	if err != nil {
		return err
	}
	if o.Report.informs() {
		for _, n := range rep.Notes {
			fmt.Fprintln(o.ErrOut, n)
		}
		rep.writeText(o.Out, o.Verbose)
	}
	return nil
}

func formatNames() []string {
	var names []string
	for _, f := range emit.Formats() {
		names = append(names, string(f))
	}
	return names
}

func formatList() string { return strings.Join(formatNames(), ", ") }

// completeHosts completes --host with the host names of the description on the command line.
func completeHosts(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 || slices.Contains(args, stdinArg) {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	opts := DescriptionOptions{Files: args}
	c, _, _ := opts.Load()
	if c == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for _, h := range c.Hosts {
		names = append(names, h.Name)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// compileExit returns the exit code of a failed compile: 1 when the description cannot be
// compiled, 2 for a problem with files and directories.
func compileExit(err error) int {
	if emit.StepOf(err) == emit.StepRender {
		return exitInvalid
	}
	return exitUsage
}
