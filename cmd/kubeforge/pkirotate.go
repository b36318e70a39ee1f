package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"kubeforge.dev/kubeforge/emit/pkistore"
	"kubeforge.dev/kubeforge/render/pki"
)

// PKIRotateOptions are the inputs of kubeforge pki rotate-ca.
type PKIRotateOptions struct {
	Step        string
	CA          string
	StoreDir    string
	Description DescriptionOptions
	Report      ReportOptions
	// Now is when an incoming CA's validity starts; time.Now when nil.
	Now func() time.Time
	Streams
}

var rotateSteps = []string{pki.RotateStart, pki.RotateAdvance, pki.RotateFinish}

// NewCmdPKIRotateCA returns kubeforge pki rotate-ca.
func NewCmdPKIRotateCA(s Streams) *cobra.Command {
	o := &PKIRotateOptions{Streams: s}
	cmd := &cobra.Command{
		Use:   "rotate-ca (start|advance|finish) --ca NAME --pki-dir DIR FILE...",
		Short: "Move a CA or the service-account key of a PKI store to the next rotation stage",
		Long: `Rotate the cluster CA (ca), the front-proxy CA, the etcd CA or the service-account key (sa)
in three steps, each followed by a compile and a roll-out of its files to every host:

  start    makes the incoming CA (the description's pki.keyAlgorithm and pki.caValidity);
           stage 1: every host trusts both, certificates stay as they are
  advance  the incoming CA signs; stage 2: the compile re-issues every certificate and
           kubeconfig it signs, both are still trusted
  finish   the outgoing CA is dropped from every host and from the store (its certificate
           is kept in the store's history/ folder, its key is deleted)

Only the store changes; roll each stage out everywhere before the next step.
` + "`kubeforge pki check --pki-dir DIR`" + ` shows the stage.`,
		Example: `  kubeforge pki rotate-ca start --ca ca --pki-dir out.pki cluster.yaml
  kubeforge compile cluster.yaml -o out && kubeforge diff cluster.yaml -o out   # review, roll out
  kubeforge pki rotate-ca advance --ca ca --pki-dir out.pki cluster.yaml`,
		ValidArgsFunction: completeDescriptionFiles,
		RunE:              runE(o),
	}
	fs := cmd.Flags()
	fs.StringVar(&o.CA, "ca", "", "what to rotate: "+strings.Join(pki.RotatableNames(), ", "))
	fs.StringVar(&o.StoreDir, "pki-dir", "", "PKI store directory")
	o.Description.AddFlags(cmd)
	o.Report.AddFlags(cmd, outputText)
	cmd.MarkFlagDirname("pki-dir")
	cmd.RegisterFlagCompletionFunc("ca", cobra.FixedCompletions(pki.RotatableNames(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (o *PKIRotateOptions) Complete(args []string) error {
	if len(args) == 0 {
		return usagef("give the step: %s", strings.Join(rotateSteps, ", "))
	}
	o.Step, o.Description.Files, o.Description.In = args[0], args[1:], o.In
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

func (o *PKIRotateOptions) Validate() error {
	switch {
	case !slices.Contains(rotateSteps, o.Step):
		return usagef("unknown step %q: one of %s", o.Step, strings.Join(rotateSteps, ", "))
	case !slices.Contains(pki.RotatableNames(), o.CA):
		return usagef("--ca must be one of %s", strings.Join(pki.RotatableNames(), ", "))
	case o.StoreDir == "":
		return usagef("--pki-dir is required: the store whose CA is rotated")
	case len(o.Description.Files) == 0:
		return usagef("give the cluster's description (FILE...): the incoming CA follows its pki settings")
	}
	if err := o.Description.Validate(); err != nil {
		return err
	}
	return o.Report.Validate()
}

// Run applies the step to the store, in one transaction under the store's lock.
func (o *PKIRotateOptions) Run() error {
	c, src, ds := o.Description.Load()
	o.Report.printDiagnostics(o.Streams, ds, src)
	if code := o.Report.verdict(ds); code != exitOK {
		return exitWith(code)
	}
	h, err := pkistore.Open(o.StoreDir, pkistore.Write, func(s string) { fmt.Fprintln(o.ErrOut, "kubeforge: "+s) })
	if err != nil {
		return failf(exitUsage, "%v", err)
	}
	defer h.Close()
	next, stage, err := pki.Rotate(h.Content(), o.CA, o.Step, c, o.Now())
	if err != nil {
		return failf(exitInvalid, "%v", err)
	}
	if err := h.Commit(next); err != nil {
		return failf(exitUsage, "PKI store %s: %v", o.StoreDir, err)
	}
	if o.Report.informs() {
		fmt.Fprintf(o.Out, "%s: %s %s: now at stage %s; compile, review with diff, and roll the files out to every host before the next step\n",
			o.StoreDir, o.Step, o.CA, stage)
	}
	return nil
}
