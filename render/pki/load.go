package pki

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"kubeforge.dev/kubeforge/compiler/parallel"
)

// keyPair is a certificate with its private key, parsed and encoded.
type keyPair struct {
	Cert    *x509.Certificate
	CertPEM []byte
	// Key is nil for a CA whose key is kept outside the store (external CA mode).
	Key    crypto.Signer
	KeyPEM []byte
}

// loaded is the verified content of a store.
type loaded struct {
	cas      map[caID]*keyPair
	saKey    crypto.Signer
	saKeyPEM []byte
	saPubPEM []byte
	// leaves holds each host's certificates by leaf name.
	leaves map[string]map[string]*keyPair
}

// load parses and verifies the store: every key must match its certificate and every
// certificate must be signed by its CA. A store that does not hold together is an error naming
// the file; it is never silently replaced. With only set, the other hosts' leaves are neither
// parsed nor verified (their files are kept as read).
func (s *Store) load(only map[string]bool, keysUnknown bool) (*loaded, error) {
	l := &loaded{cas: map[caID]*keyPair{}, leaves: map[string]map[string]*keyPair{}}
	for _, a := range authorities {
		p, err := s.pair(a.Store, true)
		if err != nil {
			return nil, err
		}
		if p == nil {
			continue
		}
		if !p.Cert.IsCA {
			return nil, fmt.Errorf("PKI store: %s is not a CA certificate", s.path(a.Store+".crt"))
		}
		l.cas[a.ID] = p
	}
	if err := s.loadServiceAccount(l, keysUnknown); err != nil {
		return nil, err
	}

	type job struct {
		host string
		spec *leafSpec
	}
	var jobs []job
	for _, h := range s.hosts() {
		if only != nil && !only[h] {
			continue
		}
		for i := range leaves {
			jobs = append(jobs, job{h, &leaves[i]})
		}
	}
	pairs := make([]*keyPair, len(jobs))
	errs := make([]error, len(jobs))
	parallel.For(len(jobs), func(i int) {
		j := jobs[i]
		base := leafPath(j.host, j.spec.Name, "")
		p, err := s.pair(base, keysUnknown)
		if err != nil || p == nil {
			errs[i] = err
			return
		}
		ca := l.cas[j.spec.CA]
		if ca == nil {
			errs[i] = fmt.Errorf("PKI store: %s is there but its CA %s is not", s.path(base+".crt"),
				s.path(authorityByID(j.spec.CA).Store+".crt"))
			return
		}
		if err := p.Cert.CheckSignatureFrom(ca.Cert); err != nil {
			errs[i] = fmt.Errorf("PKI store: %s is not signed by its CA %s: %v", s.path(base+".crt"),
				s.path(authorityByID(j.spec.CA).Store+".crt"), err)
			return
		}
		pairs[i] = p
	})
	if err := summarize(errs); err != nil {
		return nil, err
	}
	for i, j := range jobs {
		if pairs[i] == nil {
			continue
		}
		if l.leaves[j.host] == nil {
			l.leaves[j.host] = map[string]*keyPair{}
		}
		l.leaves[j.host][j.spec.Name] = pairs[i]
	}
	return l, nil
}

// pair reads base.crt and base.key: nil when both are absent. A certificate without its key is
// accepted only when keyOptional (a CA kept elsewhere); a key without its certificate, a file
// that does not parse or a key of another pair is an error naming the file.
func (s *Store) pair(base string, keyOptional bool) (*keyPair, error) {
	certRel, keyRel := base+".crt", base+".key"
	certPEM, keyPEM := s.get(certRel), s.get(keyRel)
	switch {
	case certPEM == nil && keyPEM == nil:
		return nil, nil
	case certPEM == nil:
		return nil, fmt.Errorf("PKI store: %s has no certificate %s", s.path(keyRel), s.path(certRel))
	case keyPEM == nil && !keyOptional:
		return nil, fmt.Errorf("PKI store: %s has no key %s", s.path(certRel), s.path(keyRel))
	}
	cert, err := parseCert(certPEM)
	if err != nil {
		return nil, fmt.Errorf("PKI store: %s: %v", s.path(certRel), err)
	}
	p := &keyPair{Cert: cert, CertPEM: certPEM}
	if keyPEM == nil {
		return p, nil
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("PKI store: %s: %v", s.path(keyRel), err)
	}
	if !samePublicKey(cert.PublicKey, key.Public()) {
		return nil, fmt.Errorf("PKI store: %s does not belong to %s (the key is of another pair)", s.path(keyRel), s.path(certRel))
	}
	p.Key, p.KeyPEM = key, keyPEM
	return p, nil
}

// loadServiceAccount reads sa.key and sa.pub; sa.pub must be sa.key's public half.
func (s *Store) loadServiceAccount(l *loaded, keysUnknown bool) error {
	keyPEM, pubPEM := s.get(saKeyStore), s.get(saPubStore)
	if keyPEM == nil {
		if pubPEM != nil && keysUnknown {
			l.saPubPEM = pubPEM
			return nil
		}
		if pubPEM != nil {
			return fmt.Errorf("PKI store: %s has no private key %s", s.path(saPubStore), s.path(saKeyStore))
		}
		return nil
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return fmt.Errorf("PKI store: %s: %v", s.path(saKeyStore), err)
	}
	if pubPEM != nil {
		pub, err := parsePublicKey(pubPEM)
		if err != nil {
			return fmt.Errorf("PKI store: %s: %v", s.path(saPubStore), err)
		}
		if !samePublicKey(pub, key.Public()) {
			return fmt.Errorf("PKI store: %s is not the public key of %s", s.path(saPubStore), s.path(saKeyStore))
		}
	}
	l.saKey, l.saKeyPEM, l.saPubPEM = key, keyPEM, pubPEM
	return nil
}

// summarize returns nil, or an error made of the first few non-nil errors and a count of the
// rest (a replaced CA makes every leaf fail).
func summarize(errs []error) error {
	const shown = 5
	var msgs []string
	n := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		if n < shown {
			msgs = append(msgs, err.Error())
		}
		n++
	}
	if n == 0 {
		return nil
	}
	if n > shown {
		msgs = append(msgs, fmt.Sprintf("(and %d more)", n-shown))
	}
	return errors.New(strings.Join(msgs, "\n"))
}
