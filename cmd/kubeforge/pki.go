package main

import (
	"slices"
	"time"

	"github.com/spf13/cobra"

	"kubeforge.dev/kubeforge/emit/pkicheck"
	"kubeforge.dev/kubeforge/render/pki"
)

// NewCmdPKI returns kubeforge pki, which groups the PKI commands.
func NewCmdPKI(s Streams) *cobra.Command {
	return newCommandGroup("pki", "Inspect a PKI store or the certificates of a bundle; rotate a CA",
		NewCmdPKICheck(s), NewCmdPKIRotateCA(s))
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
		Short: "List certificates with their expiry, and the encryption keys with their rotation stage",
		Long: `List every certificate of a PKI store, or of a compiled bundle (one host's tree or a whole
output directory), with its expiry and the time left, like kubeadm certs check-expiration.
Client certificates inside kubeconfigs are listed under the kubeconfig. Each is checked
against the CA that should have signed it and against its key; the STATUS column says what is
wrong. Exit 1 when one has expired or fails a check.

Then the keys of encryption at rest, by fingerprint (never their bytes): for a store, which the
last compile made the writer, which only read, which no compile lists any more (stale: delete
them once no host reads them); for a bundle, each control-plane host's EncryptionConfiguration,
which is what that host runs once installed. Both name the rotation stage: single key, new key
reading (stage 1 of 3), new key writing with the old still reading (stage 2 of 3).
--output json prints {"certificates": [...], "encryption": [...]}.`,
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

// Run lists the certificates and the encryption keys; an expired certificate, or one or an
// encryption key that fails a check, exits 1.
func (o *PKICheckOptions) Run() error {
	check := pkicheck.Bundle
	if o.StoreDir != "" {
		check = pkicheck.Store
	}
	rep, err := check(o.dir, o.Now())
	if err != nil {
		return failf(exitUsage, "%v", err)
	}
	statuses, keys := rep.Certificates, rep.Encryption
	if o.Report.Output == outputJSON {
		if keys == nil {
			keys = []pki.EncryptionStatus{}
		}
		if statuses == nil {
			statuses = []pki.CertStatus{}
		}
		err = writeJSON(o.Out, pkicheck.Report{Certificates: statuses, Encryption: keys})
	} else if err = pki.WriteTable(o.Out, statuses); err == nil {
		err = pki.WriteEncryptionTable(o.Out, keys)
	}
	if err != nil {
		return failf(exitUsage, "%v", err)
	}
	if pki.AnyFailed(statuses) || slices.ContainsFunc(keys, pki.EncryptionStatus.Failed) {
		return exitWith(exitInvalid)
	}
	return nil
}
