// Package pki issues the cluster's PKI the way kubeadm lays it out: the cluster, front-proxy
// and etcd CAs, the service-account key pair, every certificate each host needs (with its own
// key) and the kubeconfigs built around client certificates. It keeps them in a store so that
// the next compile reuses them, re-issuing only what no longer matches the description, and
// hands each host exactly the files it needs. For `pki check` it judges the certificates of a
// store or host tree from the files it is given (emit/pkicheck reads them): it reads no disk.
package pki

import (
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// DefaultRenewBefore is how long before expiry a certificate is re-issued by default.
const DefaultRenewBefore = 30 * 24 * time.Hour

// Options control Issue.
type Options struct {
	// Store is the PKI store's current content; nil means no store: everything is issued
	// afresh. Issue never changes it: Result.Store returns the next content.
	Store *Store
	// RenewBefore re-issues a certificate whose remaining validity is not longer;
	// DefaultRenewBefore when zero.
	RenewBefore time.Duration
	// Now is the clock; time.Now when nil. Tests pin it.
	Now func() time.Time
	// Rand is where serial numbers come from; crypto/rand.Reader when nil. Keys and signatures
	// always draw from the system's source (Go 1.26 ignores other readers), which tests make
	// deterministic with testing/cryptotest.SetGlobalRandom.
	Rand io.Reader
	// Hosts are the hosts to issue for; nil means all. The store keeps the others' files.
	Hosts []*compiler.Host
	// KeysUnknown works from a store holding public material only: the certificates (and
	// sa.pub) of a compiled tree, for a diff without the CA keys. A certificate that still says
	// what it should is kept, and the files holding its key are Unknown artifacts; one that a
	// compile with the real store would issue or re-issue is signed by a stand-in key instead,
	// so that it differs, with the reason in the report (Result.WouldChange).
	KeysUnknown bool
	// Progress, when set, is told the number of keys made so far, after each (from several
	// goroutines; the numbers only grow, but calls may arrive out of order).
	Progress func(keys int)
}

// Result is the PKI of a cluster: what the store will hold and what each host receives.
type Result struct {
	cluster *compiler.Cluster
	opts    Options
	// keysMade counts the keys made so far, for Options.Progress.
	keysMade atomic.Int64
	now      time.Time
	// store is the next store content, a copy of Options.Store with what Issue added.
	store *Store
	cas   map[caID]*keyPair
	saKey []byte
	saPub []byte
	// stages and others are each CA's rotation stage and the other CA it trusts meanwhile;
	// saTrust is what hosts receive as sa.pub (the public keys that verify tokens).
	stages  map[caID]RotationStage
	others  map[caID]*keyPair
	saStage RotationStage
	saTrust []byte
	// leaves holds each selected host's certificates by leaf name.
	leaves  map[string]map[string]*keyPair
	events  []Event
	changed bool
	// standIns sign in KeysUnknown mode what a CA whose key is unknown would sign.
	standIns map[caID]*keyPair
	bundles  map[string][]artifact.Artifact
	// encryptionSecrets are the encryption-at-rest keys by name (encryption.go).
	encryptionSecrets map[string]string
}

// Issue returns the PKI of the cluster: it verifies the store's content, creates the CAs and
// the service-account key pair when missing, reuses every stored certificate that still says
// what it should, and issues or re-issues the others. It reads and writes no file: the next
// store content is Result.Store, which the caller commits together with the output.
func Issue(c *compiler.Cluster, opts Options) (*Result, error) {
	if opts.RenewBefore == 0 {
		opts.RenewBefore = DefaultRenewBefore
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Hosts == nil {
		opts.Hosts = c.Hosts
	}
	if opts.RenewBefore < 0 {
		return nil, fmt.Errorf("renew-before %s is negative", opts.RenewBefore)
	}
	if opts.RenewBefore >= c.PKI.CertValidity {
		return nil, fmt.Errorf("renew-before %s is not shorter than pki.certValidity %s: every certificate would be re-issued by every compile",
			humanDuration(opts.RenewBefore), humanDuration(c.PKI.CertValidity))
	}
	st := opts.Store.clone()
	var only map[string]bool
	if len(opts.Hosts) < len(c.Hosts) {
		// A subset compile (--host) verifies only the selected hosts' certificates: it keeps
		// the others' files as they are, and checking every host's signatures made compiling
		// one host of a 5,000-host cluster cost a second.
		only = map[string]bool{}
		for _, h := range opts.Hosts {
			only[h.Name] = true
		}
	}
	l, err := st.load(only, opts.KeysUnknown)
	if err != nil {
		return nil, err
	}
	r := &Result{
		cluster: c, opts: opts, store: st,
		// Certificates hold whole seconds.
		now:    opts.Now().UTC().Truncate(time.Second),
		cas:    map[caID]*keyPair{},
		leaves: map[string]map[string]*keyPair{},
		stages: l.stages, others: l.others, saStage: l.saStage,
	}
	if err := r.issueAuthorities(l); err != nil {
		return nil, err
	}
	if err := r.issueLeaves(l); err != nil {
		return nil, err
	}
	if err := r.issueEncryptionKeys(); err != nil {
		return nil, err
	}
	if err := r.buildBundles(); err != nil {
		return nil, err
	}
	return r, nil
}

// issueAuthorities takes the CAs and the service-account key from the store, creating the
// missing ones. An existing CA is never replaced: a stale one is kept with a warning.
func (r *Result) issueAuthorities(l *loaded) error {
	c := r.cluster
	var jobs []*keyJob
	var created []*authority
	for i := range authorities {
		a := &authorities[i]
		if !a.Needed(c) {
			continue
		}
		file := a.Store + ".crt"
		if p := l.cas[a.ID]; p != nil {
			// Certificates signed by an expired CA verify nowhere; replacing it means
			// replacing every certificate, which only the user may decide.
			if !p.Cert.NotAfter.After(r.now) {
				return fmt.Errorf("CA %s expired on %s; CAs are never replaced automatically: renew it, or remove it and the certificates it signed from the store to start a new PKI",
					r.store.path(file), p.Cert.NotAfter.UTC().Format(time.RFC3339))
			}
			r.cas[a.ID] = p
			r.events = append(r.events, Event{Kind: Kept, Name: string(a.ID), File: file, Reason: r.caWarning(p, r.stages[a.ID])})
			continue
		}
		serial, err := newSerial(r.opts.Rand)
		if err != nil {
			return err
		}
		req := caRequest(a)
		jobs = append(jobs, &keyJob{alg: r.cluster.PKI.KeyAlgorithm, req: &req, serial: serial, valid: newValidity(r.now, c.PKI.CAValidity)})
		created = append(created, a)
	}
	var saJob *keyJob
	if l.saKey == nil && !(r.opts.KeysUnknown && l.saPubPEM != nil) {
		saJob = &keyJob{alg: r.cluster.PKI.KeyAlgorithm}
		jobs = append(jobs, saJob)
	}
	if err := r.runJobs(jobs); err != nil {
		return err
	}
	for i, a := range created {
		p := jobs[i].out
		r.cas[a.ID] = p
		r.store.set(a.Store+".crt", p.CertPEM, StoreCertMode)
		r.store.set(a.Store+".key", p.KeyPEM, StoreKeyMode)
		r.events = append(r.events, Event{Kind: Issued, Name: string(a.ID), File: a.Store + ".crt"})
		r.changed = true
	}

	r.saKey, r.saPub = l.saKeyPEM, l.saPubPEM
	key := l.saKey
	switch {
	case saJob != nil:
		key, r.saKey = saJob.out.Key, saJob.out.KeyPEM
		r.store.set(saKeyStore, r.saKey, StoreKeyMode)
		r.events = append(r.events, Event{Kind: Issued, Name: "sa", File: saKeyStore})
		r.changed = true
	default:
		r.events = append(r.events, Event{Kind: Kept, Name: "sa", File: saKeyStore})
	}
	if r.saPub == nil {
		pub, err := encodePublicKey(key.Public())
		if err != nil {
			return err
		}
		r.saPub = pub
		r.store.set(saPubStore, pub, StoreCertMode)
		r.changed = true
	}
	r.saTrust = r.saPub
	switch l.saStage {
	case RotationTrustBoth:
		r.saTrust = slices.Concat(r.saPub, l.saOtherPub)
	case RotationIssueNew:
		r.saTrust = slices.Concat(l.saOtherPub, r.saPub)
	}
	if l.saStage != RotationNone {
		r.events[len(r.events)-1].Reason = rotationNote(l.saStage, "key")
	}
	return nil
}

// rotationNote returns what the compile report says of a CA or key during its rotation.
func rotationNote(stage RotationStage, what string) string {
	switch stage {
	case RotationTrustBoth:
		return "rotation stage 1 trust-both: hosts trust the outgoing and the incoming " + what + ", the outgoing one still signs; roll this out everywhere, then `pki rotate-ca advance`"
	case RotationIssueNew:
		return "rotation stage 2 issue-new: the incoming " + what + " signs, both are trusted; roll this out everywhere, then `pki rotate-ca finish`"
	}
	return ""
}

// caWarning returns what the user should know about a kept CA, or "".
func (r *Result) caWarning(p *keyPair, stage RotationStage) string {
	var w []string
	if stage != RotationNone {
		w = append(w, rotationNote(stage, "CA"))
	}
	if p.Key == nil && !r.opts.KeysUnknown {
		w = append(w, "no key in the store (external CA): every certificate it signs must be in the store")
	}
	if left := p.Cert.NotAfter.Sub(r.now); left <= r.opts.RenewBefore {
		w = append(w, fmt.Sprintf("expires %s (%s): CAs are never replaced automatically", p.Cert.NotAfter.UTC().Format(time.RFC3339), residual(left)))
	}
	if alg := algorithmOf(p.Cert.PublicKey); alg != r.cluster.PKI.KeyAlgorithm {
		w = append(w, fmt.Sprintf("key algorithm is %s, the description asks %s: CAs are never replaced automatically", alg, r.cluster.PKI.KeyAlgorithm))
	}
	return strings.Join(w, "; ")
}

// issueLeaves reuses or issues every certificate the selected hosts need.
func (r *Result) issueLeaves(l *loaded) error {
	c := r.cluster
	type pending struct {
		host  *compiler.Host
		spec  *leafSpec
		event Event
	}
	var jobs []*keyJob
	var todo []pending
	var missing []string
	for _, h := range r.opts.Hosts {
		r.leaves[h.Name] = map[string]*keyPair{}
		for i := range leaves {
			spec := &leaves[i]
			if !spec.For(c, h) {
				continue
			}
			req := certRequest{Subject: subjectFor(spec.Name, h), Usages: spec.Usages}
			if spec.SANs != nil {
				req.SANs = spec.SANs(c, h)
			}
			ca := r.cas[spec.CA]
			ev := Event{Kind: Issued, Host: h.Name, Name: spec.Name, File: leafPath(h.Name, spec.Name, ".crt")}
			if have := l.leaves[h.Name][spec.Name]; have != nil {
				ev.Reason = r.staleness(have, req, ca)
				if l.outgoing[ev.File] {
					ev.Reason = "signed by the outgoing CA: rotation stage 2 re-issues it from the incoming one"
				}
				if ev.Reason == "" {
					ev.Kind = Kept
					r.leaves[h.Name][spec.Name] = have
					r.events = append(r.events, ev)
					continue
				}
				ev.Kind = Reissued
			}
			if ca.Key == nil && r.opts.KeysUnknown {
				ca = r.standIn(spec.CA)
			}
			if ca.Key == nil {
				why := ev.Reason
				if why == "" {
					why = "missing"
				}
				missing = append(missing, fmt.Sprintf("%s: %s (CA %s)", r.store.path(ev.File), why, r.store.path(authorityByID(spec.CA).Store+".crt")))
				continue
			}
			serial, err := newSerial(r.opts.Rand)
			if err != nil {
				return err
			}
			jobs = append(jobs, &keyJob{alg: r.cluster.PKI.KeyAlgorithm, req: &req, parent: ca, serial: serial,
				valid: newValidity(r.now, c.PKI.CertValidity)})
			todo = append(todo, pending{h, spec, ev})
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("external CA mode: a CA without its key in the store cannot sign, so every certificate it signs must already be in the store and valid; these are not:\n  %s",
			strings.Join(missing, "\n  "))
	}
	if err := r.runJobs(jobs); err != nil {
		return err
	}
	// Events keep the description's order: the kept ones were recorded as met, the issued ones
	// are merged back by host and table position.
	for i, p := range todo {
		out := jobs[i].out
		r.leaves[p.host.Name][p.spec.Name] = out
		r.store.set(leafPath(p.host.Name, p.spec.Name, ".crt"), out.CertPEM, StoreCertMode)
		r.store.set(leafPath(p.host.Name, p.spec.Name, ".key"), out.KeyPEM, StoreKeyMode)
		r.events = append(r.events, p.event)
		r.changed = true
	}
	r.sortEvents()
	return nil
}

// sortEvents orders events: CAs and the service-account key first, then hosts in description
// order with their certificates in table order.
func (r *Result) sortEvents() {
	hostPos := map[string]int{}
	for i, h := range r.cluster.Hosts {
		hostPos[h.Name] = i + 1
	}
	leafPos := map[string]int{}
	for i, s := range leaves {
		leafPos[s.Name] = i
	}
	slices.SortStableFunc(r.events, func(a, b Event) int {
		if d := hostPos[a.Host] - hostPos[b.Host]; d != 0 {
			return d
		}
		if a.Host == "" {
			return 0
		}
		return leafPos[a.Name] - leafPos[b.Name]
	})
}

// staleness returns why a stored certificate must be re-issued, or "" when it can be kept.
func (r *Result) staleness(have *keyPair, req certRequest, ca *keyPair) string {
	if m := mismatch(have.Cert, req, ca.Cert); m != "" {
		return m
	}
	if alg := algorithmOf(have.Cert.PublicKey); alg != r.cluster.PKI.KeyAlgorithm {
		return fmt.Sprintf("key algorithm is %s, want %s", alg, r.cluster.PKI.KeyAlgorithm)
	}
	if left := have.Cert.NotAfter.Sub(r.now); left <= r.opts.RenewBefore {
		return fmt.Sprintf("expires %s (%s), within renew-before %s",
			have.Cert.NotAfter.UTC().Format(time.RFC3339), residual(left), humanDuration(r.opts.RenewBefore))
	}
	return ""
}

// Store returns the next content of the store: the given one with every CA, key and
// certificate Issue created. Changed says whether it differs.
func (r *Result) Store() *Store { return r.store }

// standIn returns a throwaway CA named as the real one: what signs, without the store, the
// certificates a compile would issue or re-issue, so that they differ from what they replace
// (their signatures verify nowhere; they are never written).
func (r *Result) standIn(id caID) *keyPair {
	if p := r.standIns[id]; p != nil {
		return p
	}
	key, err := newKey(r.cluster.PKI.KeyAlgorithm)
	if err == nil {
		var der []byte
		req := caRequest(authorityByID(id))
		if der, err = signCert(req, key.Public(), nil, key, big.NewInt(1), newValidity(r.now, r.cluster.PKI.CAValidity), r.opts.Rand); err == nil {
			var p keyPair
			p.CertPEM, p.Key = encodeCert(der), key
			if p.Cert, err = parseCert(p.CertPEM); err == nil {
				if r.standIns == nil {
					r.standIns = map[caID]*keyPair{}
				}
				r.standIns[id] = &p
				return &p
			}
		}
	}
	panic("pki: making a stand-in CA: " + err.Error())
}
