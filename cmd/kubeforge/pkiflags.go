package main

import (
	"time"

	"github.com/spf13/pflag"

	"kubeforge.dev/kubeforge/render/pki"
)

// PKIOptions are the PKI flags compile and diff share.
type PKIOptions struct {
	StoreDir    string
	RenewBefore time.Duration
	NoPKI       bool
}

// AddFlags binds --pki-dir, --renew-before and --no-pki.
func (o *PKIOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.StoreDir, "pki-dir", "", "PKI store: CAs and issued certificates kept across compiles (default: the output directory's name + .pki, beside it)")
	fs.DurationVar(&o.RenewBefore, "renew-before", pki.DefaultRenewBefore, "re-issue certificates expiring within this duration")
	fs.BoolVar(&o.NoPKI, "no-pki", false, "compile without certificates, keys and kubeconfigs")
}

// Validate checks the flags against each other.
func (o *PKIOptions) Validate() error {
	if o.NoPKI && o.StoreDir != "" {
		return usagef("--no-pki and --pki-dir contradict each other")
	}
	return nil
}
