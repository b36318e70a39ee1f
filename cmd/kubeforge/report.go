package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"kubeforge.dev/kubeforge/compiler/description"
	"kubeforge.dev/kubeforge/compiler/diag"
)

// Values of --output: how a command prints its result on standard output.
const (
	outputText   = "text"
	outputJSON   = "json"
	outputGitHub = "github"
)

// ReportOptions say how a command reports: --output, --strict and --quiet mean the same
// wherever they appear.
type ReportOptions struct {
	Output string
	Strict bool
	Quiet  bool
	// formats are the --output values the command offers.
	formats []string
}

// AddFlags binds --output (offering formats), --strict and -q/--quiet.
func (o *ReportOptions) AddFlags(cmd *cobra.Command, formats ...string) {
	o.addOutputFlag(cmd, formats...)
	fs := cmd.Flags()
	fs.BoolVar(&o.Strict, "strict", false, "treat warnings as errors: any warning fails (exit 1)")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "print only errors: no warnings, summaries or notices")
}

// addOutputFlag binds --output alone, for commands without diagnostics.
func (o *ReportOptions) addOutputFlag(cmd *cobra.Command, formats ...string) {
	o.formats = formats
	cmd.Flags().StringVar(&o.Output, "output", outputText, "what to print on standard output: "+strings.Join(formats, ", "))
	cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// Validate checks --output.
func (o *ReportOptions) Validate() error {
	if !slices.Contains(o.formats, o.Output) {
		hint := ""
		if !slices.Contains([]string{outputText, outputJSON, outputGitHub}, o.Output) {
			hint = " (compile's output directory is -o/--output-dir)"
		}
		return usagef("--output must be %s, not %q%s", strings.Join(o.formats, ", "), o.Output, hint)
	}
	return nil
}

// printDiagnostics shows diagnostics as text on standard error, or as GitHub annotations on
// standard output; --output json leaves them to the command's JSON document. --quiet keeps
// only errors.
func (o *ReportOptions) printDiagnostics(s Streams, ds diag.List, src *description.Source) {
	if o.Quiet {
		ds = ds.Errors()
	}
	switch o.Output {
	case outputText:
		var files diag.Sources
		if src != nil {
			files = src.Files
		}
		diag.WriteText(s.ErrOut, ds, files)
	case outputGitHub:
		for _, d := range ds.Sorted() {
			fmt.Fprintln(s.Out, diagnosticAnnotation(d))
		}
	}
	if !ds.HasErrors() && ds.Fails(o.Strict) && o.Output != outputJSON {
		fmt.Fprintf(s.ErrOut, "%d warning(s) fail with --strict\n", len(ds))
	}
}

// verdict returns the exit code diagnostics call for: 2 when a file could not be read, 1 for
// errors (or, with --strict, warnings), 0 otherwise.
func (o *ReportOptions) verdict(ds diag.List) int {
	switch {
	case ds.HasIOErrors():
		return exitUsage
	case ds.Fails(o.Strict):
		return exitInvalid
	}
	return exitOK
}

// informs reports whether informational output (summaries, notices) is wanted.
func (o *ReportOptions) informs() bool { return !o.Quiet }
