package pki

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"kubeforge.dev/kubeforge/render/kubeconfig"
)

// CertStatus is one certificate found by Check.
type CertStatus struct {
	// File is where it was found, relative to the checked directory; for a kubeconfig, the
	// kubeconfig (its client certificate is the one described).
	File      string    `json:"file"`
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	IsCA      bool      `json:"isCA"`
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
	// Residual is the time left at the check, negative once expired.
	Residual        time.Duration `json:"-"`
	ResidualSeconds int64         `json:"residualSeconds"`
	Expired         bool          `json:"expired"`
}

// Check returns every certificate under dir, a PKI store or a bundle tree, sorted by file:
// PEM files ending in .crt, .pem or .cert and the client certificates of kubeconfigs (.conf,
// .kubeconfig). A certificate file that does not parse is an error naming it.
func Check(dir string, now time.Time) ([]CertStatus, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	var out []CertStatus
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch filepath.Ext(p) {
		case ".crt", ".pem", ".cert":
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			certs, err := certificatesIn(data)
			if err != nil {
				return fmt.Errorf("%s: %v", p, err)
			}
			for _, c := range certs {
				out = append(out, status(rel, c, now))
			}
		case ".conf", ".kubeconfig":
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			k, ok := kubeconfig.Parse(data)
			if !ok {
				return nil
			}
			for _, u := range k.Users {
				if len(u.User.ClientCertificateData) == 0 {
					continue
				}
				c, err := parseCert(u.User.ClientCertificateData)
				if err != nil {
					return fmt.Errorf("%s: user %s: %v", p, u.Name, err)
				}
				out = append(out, status(rel, c, now))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b CertStatus) int { return strings.Compare(a.File, b.File) })
	return out, nil
}

func status(file string, c *x509.Certificate, now time.Time) CertStatus {
	left := c.NotAfter.Sub(now)
	return CertStatus{
		File: file, Subject: c.Subject.String(), Issuer: c.Issuer.String(), IsCA: c.IsCA,
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
		Residual: left, ResidualSeconds: int64(left / time.Second), Expired: left <= 0,
	}
}

// WriteTable prints statuses as a table, like kubeadm certs check-expiration.
func WriteTable(w io.Writer, statuses []CertStatus) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "CERTIFICATE\tSUBJECT\tEXPIRES\tRESIDUAL TIME\tISSUER")
	for _, s := range statuses {
		left := humanDuration(s.Residual)
		if s.Expired {
			left = "<expired>"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.File, s.Subject, s.NotAfter.Format("Jan 02, 2006 15:04 MST"), left, s.Issuer)
	}
	return tw.Flush()
}

// WriteJSON prints statuses as a JSON array.
func WriteJSON(w io.Writer, statuses []CertStatus) error {
	if statuses == nil {
		statuses = []CertStatus{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(statuses)
}
