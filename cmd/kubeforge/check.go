package main

import (
	"github.com/spf13/cobra"

	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/render"
	"kubeforge.dev/kubeforge/render/cis"
	"kubeforge.dev/kubeforge/render/pki"
)

// CheckOptions are the inputs of kubeforge check.
type CheckOptions struct {
	Description DescriptionOptions
	Report      ReportOptions
	Streams
}

// NewCmdCheck returns kubeforge check.
func NewCmdCheck(s Streams) *cobra.Command {
	o := &CheckOptions{Streams: s}
	cmd := &cobra.Command{
		Use:   "check [FILE...]",
		Short: "Benchmark the compiled cluster against the CIS Kubernetes Benchmark, offline",
		Long: `Compile the description in memory (a fresh PKI that is never written: file modes and flags
do not depend on the keys) and judge every host's files against the CIS Kubernetes Benchmark
v1.11 (kube-bench's cis-1.11 numbering) and the NSA/CISA hardening items that map onto files:
file modes and owners, apiserver, controller-manager, scheduler and etcd flags, kubelet
settings. Each control is pass, fail, manual (no file decides it) or waived (checks.waive in
the description, with its reason); a failure names the hosts and the field that fixes it.
Exit 1 when a control fails and is not waived.`,
		Example: `  kubeforge check cluster.yaml
  kubeforge check --output json cluster.yaml | jq '.controls[] | select(.status == "fail")'`,
		ValidArgsFunction: completeDescriptionFiles,
		RunE:              runE(o),
	}
	o.Description.AddFlags(cmd)
	o.Report.AddFlags(cmd, outputText, outputJSON)
	return cmd
}

func (o *CheckOptions) Complete(args []string) error {
	o.Description.Files, o.Description.In = args, o.In
	if o.Report.informs() {
		o.Description.Notices = o.ErrOut
	}
	return nil
}

func (o *CheckOptions) Validate() error {
	if err := o.Description.Validate(); err != nil {
		return err
	}
	return o.Report.Validate()
}

// Run compiles and benchmarks; a failing control that is not waived exits 1. An invalid
// description prints its diagnostics as validate does (with --output json, the JSON array).
func (o *CheckOptions) Run() error {
	c, src, ds := o.Description.Load()
	if code := o.Report.verdict(ds); code != exitOK {
		if o.Report.Output == outputJSON {
			if err := diag.WriteJSON(o.Out, ds); err != nil {
				return failf(exitUsage, "%v", err)
			}
		}
		o.Report.printDiagnostics(o.Streams, ds, src)
		return exitWith(code)
	}
	if o.Report.Output != outputJSON {
		o.Report.printDiagnostics(o.Streams, ds, src)
	}
	res, err := render.Compile(c, render.Options{PKI: &pki.Options{}})
	if err != nil {
		return failf(exitInvalid, "%v", err)
	}
	rep, err := cis.Check(c, res)
	if err != nil {
		return failf(exitInvalid, "%v", err)
	}
	write := cis.WriteText
	if o.Report.Output == outputJSON {
		write = cis.WriteJSON
	}
	if err := write(o.Out, rep); err != nil {
		return failf(exitUsage, "%v", err)
	}
	if rep.Failed() {
		return exitWith(exitInvalid)
	}
	return nil
}
