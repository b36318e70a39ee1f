package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/emit"
)

// DiffOptions are the inputs of kubeforge diff.
type DiffOptions struct {
	Description DescriptionOptions
	Report      ReportOptions
	PKI         PKIOptions
	Against     string
	Hosts       []string
	NameOnly    bool
	// NoPKIStore compares without the PKI store, as CI does against a golden tree committed
	// without the CA keys: certificates and kubeconfigs are judged by what they say, keys by
	// presence.
	NoPKIStore bool
	// StrictModes compares the modes and owners on disk too, for a tree copied from a node.
	StrictModes bool
	Streams
}

// NewCmdDiff returns kubeforge diff.
func NewCmdDiff(s Streams) *cobra.Command {
	o := &DiffOptions{Streams: s}
	cmd := &cobra.Command{
		Use:   "diff [FILE...] --against DIR",
		Short: "Compile in memory and compare with an output or golden tree",
		Long: `Compile the description in memory and compare it with DIR, an output directory or a
golden tree: added, removed and changed files per host, unified diffs for text, fingerprints
for secrets. The PKI store is read, never written: diff changes nothing on disk. Exit 1 when
anything differs, so that CI can gate on it.`,
		Example: `  kubeforge diff cluster.yaml --against out
  kubeforge diff cluster.yaml --against golden --no-pki-store     # CI, without the CA keys
  kubeforge diff cluster.yaml --against golden --name-only
  kubeforge diff cluster.yaml --against golden --output github     # annotations in GitHub Actions`,
		ValidArgsFunction: completeDescriptionFiles,
		RunE:              runE(o),
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Against, "against", "out", "output directory or golden tree to compare with")
	fs.StringArrayVar(&o.Hosts, "host", nil, "compare only this host (repeatable)")
	fs.BoolVar(&o.NameOnly, "name-only", false, "list changed files without their diffs")
	fs.BoolVar(&o.StrictModes, "strict-modes", false, "compare modes and owners on disk too, not only those the host manifests record (for a tree copied from a node)")
	fs.BoolVar(&o.NoPKIStore, "no-pki-store", false, "compare without the PKI store (CI, against a golden tree committed without the CA keys)")
	o.Description.AddFlags(cmd)
	o.PKI.AddFlags(fs)
	o.Report.AddFlags(cmd, outputText, outputJSON, outputGitHub)
	cmd.RegisterFlagCompletionFunc("host", completeHosts)
	cmd.MarkFlagDirname("against")
	cmd.MarkFlagDirname("pki-dir")
	return cmd
}

func (o *DiffOptions) Complete(args []string) error {
	o.Description.Files, o.Description.In = args, o.In
	if o.Report.informs() {
		o.Description.Notices = o.ErrOut
	}
	return nil
}

func (o *DiffOptions) Validate() error {
	if o.NoPKIStore && o.PKI.StoreDir != "" {
		return usagef("--no-pki-store and --pki-dir contradict each other")
	}
	if o.Against == "" {
		return usagef("--against must name a directory")
	}
	for _, err := range []error{o.Description.Validate(), o.Report.Validate(), o.PKI.Validate()} {
		if err != nil {
			return err
		}
	}
	return nil
}

// Run compiles and compares; differences exit 1.
func (o *DiffOptions) Run() error {
	c, src, ds := o.Description.Load()
	rep := &diffReport{Against: o.Against, Diagnostics: append(diag.List{}, ds.Sorted()...), Changes: []emit.Change{}}
	o.Report.printDiagnostics(o.Streams, ds, src)
	if code := o.Report.verdict(ds); code != exitOK {
		return o.finish(rep, &exitError{code: code})
	}
	res, err := o.compile(c)
	if err != nil {
		return o.finish(rep, failf(compileExit(err), "%v", err))
	}
	bundles := res.Hosts
	if res.Cluster != nil {
		bundles = append(bundles, *res.Cluster)
	}
	if rep.Changes, err = emit.DiffWithOptions(o.Against, bundles, emit.DiffOptions{StrictModes: o.StrictModes, Reasons: res.WouldChange}); err != nil {
		return o.finish(rep, failf(exitUsage, "%v", err))
	}
	if len(rep.Changes) > 0 {
		return o.finish(rep, exitWith(exitInvalid))
	}
	return o.finish(rep, nil)
}

// compile compiles what is compared, reading the PKI store but never writing it.
func (o *DiffOptions) compile(c *compiler.Cluster) (*emit.CompileResult, error) {
	opts := emit.CompileOptions{Output: o.Against, Hosts: o.Hosts, NoPKI: o.PKI.NoPKI, NoPKIStore: o.NoPKIStore,
		StoreDir: o.PKI.StoreDir, RenewBefore: o.PKI.RenewBefore, Notes: func(s string) {
			if o.Report.informs() {
				fmt.Fprintln(o.ErrOut, s)
			}
		}}
	return emit.Preview(c, opts)
}

// finish prints the comparison as --output asks and returns err.
func (o *DiffOptions) finish(rep *diffReport, err error) error {
	rep.Equal = err == nil
	var werr error
	switch o.Report.Output {
	case outputJSON:
		if exit, ok := err.(*exitError); ok && exit.err != nil {
			rep.Error = exit.err.Error()
		}
		werr = writeDiffJSON(o.Out, rep)
	case outputGitHub:
		werr = writeDiffGitHub(o.Out, rep)
	default:
		if !o.Report.Quiet || len(rep.Changes) > 0 {
			werr = writeDiffText(o.Out, rep, o.NameOnly || o.Report.Quiet)
		}
	}
	if werr != nil && err == nil {
		return failf(exitUsage, "%v", werr)
	}
	return err
}
