package compiler

import (
	"fmt"
	"time"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// Bounds of a sensible certificate validity.
const (
	// minValidity: kubeforge issues certificates when it compiles, and installing the bundles
	// takes a while; anything shorter expires before the cluster is up.
	minValidity = time.Hour
	// maxValidity: Kubernetes never checks revocation, so a leaked certificate is good until
	// it expires; beyond a century the value is a slip of the keyboard, not a plan.
	maxValidity = 100 * 365 * 24 * time.Hour
)

// pkiValidity checks the validity periods, and that leaves do not outlive their CA: a
// certificate is only trusted while its issuer is, so the excess is never usable, and a leaf
// issued late in the CA's life would be cut short without anyone being told.
func (k *checker) pkiValidity() {
	p := k.c.PKI
	for _, v := range []struct {
		path string
		d    time.Duration
	}{{"pki.caValidity", p.CAValidity}, {"pki.certValidity", p.CertValidity}} {
		switch {
		case v.d < minValidity:
			k.errorf(diag.CodeValidityTooShort, v.path, "certificates are issued at compile time and must last through the installation; kubeadm uses 87600h for CAs and 8760h for the others", "validity %s is shorter than one hour", v.d)
		case v.d > maxValidity:
			k.errorf(diag.CodeValidityTooLong, v.path, "Kubernetes does not check revocation, so a leaked certificate stays good until it expires; kubeadm uses 87600h (10 years) for CAs", "validity %s is longer than 100 years", v.d)
		}
	}
	if p.CertValidity > p.CAValidity {
		k.errorf(diag.CodeCertOutlivesCA, k.firstWritten("pki.certValidity", "pki.caValidity"), fmt.Sprintf("caValidity is %s; certificates must not outlive the CA that signs them", p.CAValidity),
			"certValidity %s is longer than caValidity %s", p.CertValidity, p.CAValidity)
	}
}
