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
	// rotation holds each CA's rotation stage and the other CA it trusts meanwhile (the
	// incoming one in stage 1, the outgoing one in stage 2); saStage and saOtherPub likewise
	// for the service-account key.
	stages     map[caID]RotationStage
	others     map[caID]*keyPair
	saStage    RotationStage
	saOtherPub []byte
	// outgoing names the stored leaves (by store path) signed by a CA's outgoing certificate
	// in stage 2: kept verifiable, re-issued by the incoming one.
	outgoing map[string]bool
}

// load parses and verifies the store: every key must match its certificate and every
// certificate must be signed by its CA. A store that does not hold together is an error naming
// the file; it is never silently replaced. With only set, the other hosts' leaves are neither
// parsed nor verified (their files are kept as read).
func (s *Store) load(only map[string]bool, keysUnknown bool) (*loaded, error) {
	l := &loaded{cas: map[caID]*keyPair{}, leaves: map[string]map[string]*keyPair{},
		stages: map[caID]RotationStage{}, others: map[caID]*keyPair{}, outgoing: map[string]bool{}}
	for _, a := range authorities {
		p, err := s.caPair(a.Store, true)
		if err != nil {
			return nil, err
		}
		if p == nil {
			continue
		}
		l.cas[a.ID] = p
		if err := s.loadRotation(l, &a, keysUnknown); err != nil {
			return nil, err
		}
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
	outgoing := make([]bool, len(jobs))
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
		err = p.Cert.CheckSignatureFrom(ca.Cert)
		if prev := l.others[j.spec.CA]; err != nil && prev != nil && l.stages[j.spec.CA] == RotationIssueNew &&
			p.Cert.CheckSignatureFrom(prev.Cert) == nil {
			outgoing[i], err = true, nil
		}
		if err != nil {
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
		if outgoing[i] {
			l.outgoing[leafPath(j.host, j.spec.Name, ".crt")] = true
		}
	}
	return l, nil
}

// caPair reads a CA's base.crt and base.key, which must be a CA certificate.
func (s *Store) caPair(base string, keyOptional bool) (*keyPair, error) {
	p, err := s.pair(base, keyOptional)
	if err == nil && p != nil && !p.Cert.IsCA {
		return nil, fmt.Errorf("PKI store: %s is not a CA certificate", s.path(base+".crt"))
	}
	return p, err
}

// loadRotation reads the other CA of a rotation under way. The incoming CA of stage 1 needs
// its key (it will sign); the outgoing one of stage 2 does not.
func (s *Store) loadRotation(l *loaded, a *authority, keysUnknown bool) error {
	stage, err := s.rotationStage(a.Store, false)
	if err != nil || stage == RotationNone {
		return err
	}
	base := a.Store + nextSuffix
	if stage == RotationIssueNew {
		base = a.Store + prevSuffix
	}
	p, err := s.caPair(base, stage == RotationIssueNew || keysUnknown)
	if err != nil {
		return err
	}
	l.stages[a.ID], l.others[a.ID] = stage, p
	return nil
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
	return s.loadServiceAccountRotation(l)
}

// loadServiceAccountRotation reads the other public key of a rotation under way: the
// incoming key's in stage 1, the outgoing one's in stage 2.
func (s *Store) loadServiceAccountRotation(l *loaded) error {
	stage, err := s.rotationStage(saBase, true)
	if err != nil || stage == RotationNone {
		return err
	}
	l.saStage = stage
	if stage == RotationIssueNew {
		rel := saBase + prevSuffix + ".pub"
		if _, err := parsePublicKey(s.get(rel)); err != nil {
			return fmt.Errorf("PKI store: %s: %v", s.path(rel), err)
		}
		l.saOtherPub = s.get(rel)
		return nil
	}
	rel := saBase + nextSuffix + ".key"
	key, err := parseKey(s.get(rel))
	if err != nil {
		return fmt.Errorf("PKI store: %s: %v", s.path(rel), err)
	}
	l.saOtherPub, err = encodePublicKey(key.Public())
	return err
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
