package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/compiler/upgrade"
	"kubeforge.dev/kubeforge/emit"
	"kubeforge.dev/kubeforge/emit/rollout"
)

// NewCmdUpgrade returns kubeforge upgrade, which groups the upgrade commands.
func NewCmdUpgrade(s Streams) *cobra.Command {
	return newCommandGroup("upgrade", "Plan a rolling upgrade stage by stage", NewCmdUpgradePlan(s))
}

// UpgradePlanOptions are the inputs of kubeforge upgrade plan.
type UpgradePlanOptions struct {
	File, To, Batch, WriteDir, Output string
	PKI                               PKIOptions
	Streams

	to    compiler.Version
	batch upgrade.Batch
}

// NewCmdUpgradePlan returns kubeforge upgrade plan.
func NewCmdUpgradePlan(s Streams) *cobra.Command {
	o := &UpgradePlanOptions{Streams: s}
	cmd := &cobra.Command{
		Use:   "plan FILE --to VERSION",
		Short: "Print the stages of a rolling upgrade, each a description that passes every check",
		Long: `Plan the upgrade of the cluster FILE describes (one YAML or JSON file) to VERSION, as
stages in kubeadm's order: one control-plane host at a time (its stacked etcd member with
it), dedicated etcd hosts one at a time, the cluster bundle (kube-proxy, CoreDNS,
kubeadm-config), then the other hosts in batches. A minor is never skipped: a VERSION two
minors ahead goes through the one between. Each stage is FILE with per-host
kubernetesVersion fields written in (comments and field order kept; JSON is written as
YAML), checked like validate, the version skew policy included; a stage that fails is an
error naming it. For each stage the plan lists, per host, the files that change, the static
pods the kubelet restarts and the units to restart.

--write DIR writes DIR/NN-STAGE/description.yaml and DIR/NN-STAGE/bundles, compiled as
compile would with one PKI store for all stages (--pki-dir, default DIR.pki), so that
certificates stay the same across stages and each stage's bundles diff against the last.
Draining and cordoning are the operator's.`,
		Example: `  kubeforge upgrade plan cluster.yaml --to 1.37
  kubeforge upgrade plan cluster.yaml --to 1.37 --batch 25% --write stages
  kubeforge upgrade plan cluster.yaml --to v1.37.2 --batch 2 --output json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeDescriptionFiles,
		RunE:              runE(o),
	}
	fs := cmd.Flags()
	fs.StringVar(&o.To, "to", "", "the version to upgrade to: 1.37, v1.37 or v1.37.2 (required)")
	fs.StringVar(&o.Batch, "batch", upgrade.DefaultBatch.String(), "workers upgraded a stage: a number, or a percentage of the workers (rounded up, at least one)")
	fs.StringVar(&o.WriteDir, "write", "", "write each stage's description and bundles into this directory")
	fs.StringVar(&o.Output, "output", outputText, "what to print on standard output: text or json")
	o.PKI.AddFlags(fs)
	cmd.MarkFlagRequired("to")
	cmd.MarkFlagDirname("write")
	return cmd
}

func (o *UpgradePlanOptions) Complete(args []string) error {
	o.File = args[0]
	return nil
}

// Validate refuses what is wrong on the command line (exit 2): an unparsable or unsupported
// --to is a flag value kubeforge cannot use, whatever the description says.
func (o *UpgradePlanOptions) Validate() error {
	var err error
	if o.to, _, err = compiler.ParseVersion(o.To); err != nil {
		return usagef("--to: %v", err)
	}
	if o.batch, err = upgrade.ParseBatch(o.Batch); err != nil {
		return usagef("--batch: %v", err)
	}
	if o.Output != outputText && o.Output != outputJSON {
		return usagef("--output must be text or json, not %q", o.Output)
	}
	if err := upgrade.CheckFile(o.File); err != nil {
		return usagef("%v", err)
	}
	if o.PKI.StoreDir != "" && o.WriteDir == "" {
		return usagef("--pki-dir applies to --write")
	}
	return o.PKI.Validate()
}

// Run plans, lists each stage's changes, and writes the stages when asked. A description or
// a stage that fails its checks, or a --to behind the cluster, exits 1.
func (o *UpgradePlanOptions) Run() error {
	data, err := untrusted.ReadFile(o.File, untrusted.DescriptionLimit)
	if err != nil {
		return failf(exitUsage, "%v", err)
	}
	p, err := upgrade.Make(upgrade.Input{Name: o.File, Data: data}, o.to, o.batch)
	var perr *upgrade.Error
	if errors.As(err, &perr) {
		diag.WriteText(o.ErrOut, perr.Diagnostics.Sorted(), perr.Sources)
		return failf(exitInvalid, "%v", err)
	}
	if err != nil {
		return failf(exitUsage, "%v", err)
	}
	changes, err := rollout.Changes(p)
	if err != nil {
		return failf(exitInvalid, "%v", err)
	}
	if o.WriteDir != "" {
		wo := rollout.WriteOptions{StoreDir: o.PKI.StoreDir, NoPKI: o.PKI.NoPKI, Formats: []emit.Format{emit.FormatDir},
			Notes: func(s string) { fmt.Fprintln(o.ErrOut, s) }}
		if err := rollout.Write(o.WriteDir, p, wo); err != nil {
			return failf(compileExit(err), "%v", err)
		}
	}
	report := newPlanReport(p, o.batch, changes)
	if o.Output == outputJSON {
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	report.writeText(o.Out)
	return nil
}
