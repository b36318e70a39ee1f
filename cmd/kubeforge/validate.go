package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// ValidateOptions are the inputs of kubeforge validate.
type ValidateOptions struct {
	Description DescriptionOptions
	Report      ReportOptions
	Streams
}

// NewCmdValidate returns kubeforge validate.
func NewCmdValidate(s Streams) *cobra.Command {
	o := &ValidateOptions{Streams: s}
	cmd := &cobra.Command{
		Use:   "validate [FILE...]",
		Short: "Check a description and show every problem",
		Long: `Check a description against the schema and kubeforge's cross-field checks, and show every
problem at once with its file:line:col, field path and source line. Warnings (insecure or
unusual choices) do not fail unless --strict is given.`,
		Example: `  kubeforge validate cluster.yaml
  kubeforge validate infra/                        # a directory of .cue files
  kubeforge validate --output json cluster.yaml    # the diagnostics as a JSON array
  kubeforge validate --output github cluster.yaml  # annotations in a GitHub Actions job
  cat cluster.json | kubeforge validate -`,
		ValidArgsFunction: completeDescriptionFiles,
		RunE:              runE(o),
	}
	o.Description.AddFlags(cmd)
	o.Report.AddFlags(cmd, outputText, outputJSON, outputGitHub)
	return cmd
}

func (o *ValidateOptions) Complete(args []string) error {
	o.Description.Files, o.Description.In = args, o.In
	if o.Report.informs() {
		o.Description.Notices = o.ErrOut
	}
	return nil
}

func (o *ValidateOptions) Validate() error {
	if err := o.Description.Validate(); err != nil {
		return err
	}
	return o.Report.Validate()
}

// Run checks the description; with --output json it prints the diagnostics, and only them,
// as one JSON array whatever the outcome.
func (o *ValidateOptions) Run() error {
	c, src, ds := o.Description.Load()
	if o.Report.Output == outputJSON {
		if err := diag.WriteJSON(o.Out, ds); err != nil {
			return failf(exitUsage, "%v", err)
		}
	}
	o.Report.printDiagnostics(o.Streams, ds, src)
	if code := o.Report.verdict(ds); code != exitOK {
		return exitWith(code)
	}
	if o.Report.Output != outputJSON && o.Report.informs() {
		fmt.Fprintf(o.Out, "%s: valid (Kubernetes %s, %d hosts)\n", c.Name, c.Version, len(c.Hosts))
	}
	return nil
}
