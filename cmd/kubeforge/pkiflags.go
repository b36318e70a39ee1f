package main

import (
	"path/filepath"
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

// options returns the PKI options for an output directory, or nil with --no-pki.
func (o *PKIOptions) options(out string) *pki.Options {
	if o.NoPKI {
		return nil
	}
	return &pki.Options{StoreDir: o.store(out), RenewBefore: o.RenewBefore}
}

// store returns the store directory for an output directory.
func (o *PKIOptions) store(out string) string {
	if o.StoreDir != "" {
		return o.StoreDir
	}
	return filepath.Clean(out) + ".pki"
}
