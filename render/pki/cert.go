package pki

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"slices"
	"time"
)

// backdate is how far before "now" a new certificate becomes valid, so hosts whose clocks lag
// a little accept it (kubeadm's CertificateBackdate).
const backdate = 5 * time.Minute

// certRequest is what a certificate must say.
type certRequest struct {
	Subject subject
	SANs    altNames
	Usages  []x509.ExtKeyUsage
	IsCA    bool
}

// validity is a certificate's validity period.
type validity struct{ NotBefore, NotAfter time.Time }

// newValidity returns the period of a certificate issued at now for d.
func newValidity(now time.Time, d time.Duration) validity {
	return validity{NotBefore: now.Add(-backdate), NotAfter: now.Add(d)}
}

// newSerial returns a random positive serial number of up to 127 bits read from r.
func newSerial(r io.Reader) (*big.Int, error) {
	var b [16]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("reading a serial number: %w", err)
		}
		b[0] &= 0x7f
		if n := new(big.Int).SetBytes(b[:]); n.Sign() > 0 {
			return n, nil
		}
	}
}

// signCert returns the DER certificate saying req about pub, signed by parent's key signer;
// parent nil makes it self-signed (a root CA, whose signer is pub's own key).
func signCert(req certRequest, pub crypto.PublicKey, parent *x509.Certificate, signer crypto.Signer,
	serial *big.Int, v validity, rnd io.Reader) ([]byte, error) {
	ku := x509.KeyUsageDigitalSignature
	if isRSA(pub) {
		ku |= x509.KeyUsageKeyEncipherment
	}
	if req.IsCA {
		ku |= x509.KeyUsageCertSign
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: req.Subject.CN, Organization: req.Subject.O},
		NotBefore:             v.NotBefore,
		NotAfter:              v.NotAfter,
		KeyUsage:              ku,
		ExtKeyUsage:           req.Usages,
		BasicConstraintsValid: true,
		IsCA:                  req.IsCA,
		DNSNames:              req.SANs.DNS,
	}
	for _, ip := range req.SANs.IPs {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.IP(ip.AsSlice()))
	}
	if parent == nil {
		parent = tmpl
	}
	return x509.CreateCertificate(rnd, tmpl, parent, pub, signer)
}

// caRequest returns the request of a CA: kubeadm names its CAs in the subject and, oddly but
// harmlessly, in a DNS SAN.
func caRequest(a *authority) certRequest {
	return certRequest{Subject: subject{CN: a.CN}, SANs: altNames{DNS: []string{a.CN}}, IsCA: true}
}

// mismatch returns why cert no longer says what req asks (empty when it does), given the CA
// that should have issued it.
func mismatch(cert *x509.Certificate, req certRequest, ca *x509.Certificate) string {
	if cert.Subject.CommonName != req.Subject.CN {
		return fmt.Sprintf("subject CN is %q, want %q", cert.Subject.CommonName, req.Subject.CN)
	}
	if !sameSet(cert.Subject.Organization, req.Subject.O) {
		return fmt.Sprintf("subject organizations are %q, want %q", cert.Subject.Organization, req.Subject.O)
	}
	if r := sanDiff(cert, req.SANs); r != "" {
		return r
	}
	if !sameSet(cert.ExtKeyUsage, req.Usages) || cert.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return fmt.Sprintf("usages are %s, want %s", usageNames(cert.ExtKeyUsage), usageNames(req.Usages))
	}
	if cert.IsCA != req.IsCA {
		return fmt.Sprintf("CA flag is %t, want %t", cert.IsCA, req.IsCA)
	}
	if ca != nil && string(cert.RawIssuer) != string(ca.RawSubject) {
		return fmt.Sprintf("issuer is %q, want %q", cert.Issuer, ca.Subject)
	}
	return ""
}

// sanDiff describes how a certificate's SANs differ from want, or returns "".
func sanDiff(cert *x509.Certificate, want altNames) string {
	var have []string
	have = append(have, cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		have = append(have, ip.String())
	}
	wantS := slices.Clone(want.DNS)
	for _, ip := range want.IPs {
		wantS = append(wantS, ip.String())
	}
	missing, extra := setDiff(wantS, have), setDiff(have, wantS)
	switch {
	case len(missing) > 0 && len(extra) > 0:
		return fmt.Sprintf("SANs lack %s and have %s in excess", join(missing), join(extra))
	case len(missing) > 0:
		return fmt.Sprintf("SANs lack %s", join(missing))
	case len(extra) > 0:
		return fmt.Sprintf("SANs have %s in excess", join(extra))
	}
	return ""
}

// setDiff returns the elements of a missing from b, sorted.
func setDiff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

func join(s []string) string { return fmt.Sprintf("%q", s) }

// sameSet reports whether a and b hold the same elements, ignoring order and repeats.
func sameSet[T comparable](a, b []T) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

func usageNames(us []x509.ExtKeyUsage) string {
	var out []string
	for _, u := range us {
		switch u {
		case x509.ExtKeyUsageServerAuth:
			out = append(out, "serverAuth")
		case x509.ExtKeyUsageClientAuth:
			out = append(out, "clientAuth")
		default:
			out = append(out, fmt.Sprintf("usage(%d)", u))
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return fmt.Sprint(out)
}
