package main

import (
	"time"

	"github.com/spf13/cobra"

	"kubeforge.dev/kubeforge/emit/pkicheck"
	"kubeforge.dev/kubeforge/render/pki"
)

// NewCmdPKI returns kubeforge pki, which groups the PKI commands.
func NewCmdPKI(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pki",
		Short: "Inspect a PKI store or the certificates of a bundle; rotate a CA",
		Args:  bareCommandArgs,
		RunE:  bareCommand,
	}
	cmd.AddCommand(NewCmdPKICheck(s), NewCmdPKIRotateCA(s))
	return cmd
}

// PKICheckOptions are the inputs of kubeforge pki check.
type PKICheckOptions struct {
	StoreDir string
	Bundle   string
	Report   ReportOptions
	// Now is the time expiries are measured from; time.Now when nil.
	Now func() time.Time
	Streams

	dir string
}

// NewCmdPKICheck returns kubeforge pki check.
func NewCmdPKICheck(s Streams) *cobra.Command {
	o := &PKICheckOptions{Streams: s}
	cmd := &cobra.Command{
		Use:   "check (--pki-dir DIR | --bundle DIR)",
		Short: "List certificates with their expiry",
		Long: `List every certificate of a PKI store, or of a compiled bundle (one host's tree or a whole
output directory), with its expiry and the time left, like kubeadm certs check-expiration.
Client certificates inside kubeconfigs are listed under the kubeconfig. Each is checked
against the CA that should have signed it and against its key; the STATUS column says what is
wrong. Exit 1 when one has expired or fails a check.`,
		Example: `  kubeforge pki check --pki-dir out.pki
  kubeforge pki check --bundle out/cp1 --output json`,
		RunE: runE(o),
	}
	fs := cmd.Flags()
	fs.StringVar(&o.StoreDir, "pki-dir", "", "PKI store directory to check")
	fs.StringVar(&o.Bundle, "bundle", "", "compiled bundle directory (one host's or all hosts') to check")
	o.Report.addOutputFlag(cmd, outputText, outputJSON)
	cmd.MarkFlagDirname("pki-dir")
	cmd.MarkFlagDirname("bundle")
	return cmd
}

func (o *PKICheckOptions) Complete(args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q: the directory is given with --pki-dir or --bundle", args[0])
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.dir = o.StoreDir + o.Bundle
	return nil
}

func (o *PKICheckOptions) Validate() error {
	if (o.StoreDir == "") == (o.Bundle == "") {
		return usagef("give exactly one of --pki-dir and --bundle")
	}
	return o.Report.Validate()
}

// Run lists the certificates; an expired one, or one that fails a check, exits 1.
func (o *PKICheckOptions) Run() error {
	check := pkicheck.Bundle
	if o.StoreDir != "" {
		check = pkicheck.Store
	}
	statuses, err := check(o.dir, o.Now())
	if err != nil {
		return failf(exitUsage, "%v", err)
	}
	if o.Report.Output == outputJSON {
		err = pki.WriteJSON(o.Out, statuses)
	} else {
		err = pki.WriteTable(o.Out, statuses)
	}
	if err != nil {
		return failf(exitUsage, "%v", err)
	}
	if pki.AnyFailed(statuses) {
		return exitWith(exitInvalid)
	}
	return nil
}
