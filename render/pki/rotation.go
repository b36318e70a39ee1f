package pki

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"kubeforge.dev/kubeforge/compiler"
)

// A CA (or the service-account key) is rotated in stages, and the store records the stage by
// the files it holds, so that the stage is committed in the same transaction as everything
// else and a store written before rotation existed reads as stage none:
//
//	none          B.crt B.key                       the CA signs and is the only one trusted
//	1 trust-both  B.crt B.key + B.next.crt B.next.key  the outgoing CA still signs; both trusted
//	2 issue-new   B.crt B.key + B.prev.crt B.prev.key  the incoming CA signs; both trusted
//	finish        B.crt B.key                       the outgoing CA is gone; its certificate
//	                                                is kept under history/ (never its key)
//
// For the service-account key: sa.key sa.pub, + sa.next.key in stage 1, + sa.prev.pub in
// stage 2 (tokens signed by the outgoing key still verify; the key itself is no longer needed).
// Hosts receive bundles: every CA file trusted (ca.crt ...), every kubeconfig's
// certificate-authority-data and sa.pub hold the outgoing and the incoming one, outgoing
// first, in both stages, so that stage 1→2 changes only what is re-issued.

// RotationStage is how far a rotation has come.
type RotationStage int

const (
	// RotationNone: no rotation under way.
	RotationNone RotationStage = iota
	// RotationTrustBoth: stage 1, every host trusts the outgoing and the incoming CA; the
	// outgoing one still signs.
	RotationTrustBoth
	// RotationIssueNew: stage 2, the incoming CA signs every certificate; both still trusted.
	RotationIssueNew
)

func (s RotationStage) String() string {
	switch s {
	case RotationTrustBoth:
		return "1 trust-both"
	case RotationIssueNew:
		return "2 issue-new"
	}
	return "none"
}

// Suffixes of the rotation files and the folder keeping retired CA certificates.
const (
	nextSuffix = ".next"
	prevSuffix = ".prev"
	historyDir = "history"
	// saName is the rotatable name of the service-account key.
	saName = "sa"
	saBase = "sa"
)

// RotatableNames returns what `pki rotate-ca --ca` accepts: the CAs and the service-account
// key.
func RotatableNames() []string {
	out := make([]string, 0, len(authorities)+1)
	for _, a := range authorities {
		out = append(out, string(a.ID))
	}
	return append(out, saName)
}

// rotationStage returns the stage of the CA or key with store base name base.
func (s *Store) rotationStage(base string, sa bool) (RotationStage, error) {
	next, prev := base+nextSuffix+".crt", base+prevSuffix+".crt"
	if sa {
		next, prev = base+nextSuffix+".key", base+prevSuffix+".pub"
	}
	_, hasNext := s.Files[next]
	_, hasPrev := s.Files[prev]
	switch {
	case hasNext && hasPrev:
		return 0, fmt.Errorf("PKI store: both %s and %s exist: a rotation is in stage 1 or 2, not both; remove the one that does not belong", s.path(next), s.path(prev))
	case hasNext:
		return RotationTrustBoth, nil
	case hasPrev:
		return RotationIssueNew, nil
	}
	return RotationNone, nil
}

// RotationState is the stage of one CA or of the service-account key in a store.
type RotationState struct {
	Name  string        `json:"name"`
	Stage RotationStage `json:"stage"`
}

// RotationStates returns the stage of every rotatable CA and key the store holds.
func RotationStates(st *Store) ([]RotationState, error) {
	var out []RotationState
	for _, name := range RotatableNames() {
		a, base := rotationTarget(name)
		sa := a == nil
		if _, ok := st.Files[base+".crt"]; !ok && !sa {
			continue
		}
		if _, ok := st.Files[base+".key"]; !ok && sa {
			continue
		}
		stage, err := st.rotationStage(base, sa)
		if err != nil {
			return nil, err
		}
		out = append(out, RotationState{Name: name, Stage: stage})
	}
	return out, nil
}

// rotationTarget returns the CA a rotatable name stands for (nil for the service-account key)
// and its store base name; base is "" for an unknown name.
func rotationTarget(name string) (a *authority, base string) {
	if name == saName {
		return nil, saBase
	}
	for i := range authorities {
		if string(authorities[i].ID) == name {
			return &authorities[i], authorities[i].Store
		}
	}
	return nil, ""
}

// Rotation steps, in order.
const (
	RotateStart   = "start"
	RotateAdvance = "advance"
	RotateFinish  = "finish"
)

// Rotate returns the store after one step of the rotation of name (RotatableNames): start
// makes the incoming CA (or key) with the description's key algorithm and CA validity (stage
// 1), advance makes it the signer (stage 2), finish retires the outgoing one. Each step needs
// the one before; the next compile emits the stage's files. st is not changed.
func Rotate(st *Store, name, step string, c *compiler.Cluster, now time.Time) (*Store, RotationStage, error) {
	a, base := rotationTarget(name)
	sa := a == nil
	if base == "" {
		return nil, 0, fmt.Errorf("no CA or key named %q can be rotated; one of %s", name, strings.Join(RotatableNames(), ", "))
	}
	stage, err := st.rotationStage(base, sa)
	if err != nil {
		return nil, 0, err
	}
	want := map[string]RotationStage{RotateStart: RotationNone, RotateAdvance: RotationTrustBoth, RotateFinish: RotationIssueNew}
	from, ok := want[step]
	if !ok {
		return nil, 0, fmt.Errorf("unknown rotation step %q; one of %s, %s, %s", step, RotateStart, RotateAdvance, RotateFinish)
	}
	if stage != from {
		return nil, 0, fmt.Errorf("%s of %s: the rotation is at stage %s; %s follows stage %s", step, name, stage, step, from)
	}
	out := st.clone()
	if sa {
		err = out.rotateServiceAccount(step, c)
	} else {
		err = out.rotateCA(a, step, c, now)
	}
	if err != nil {
		return nil, 0, err
	}
	return out, (stage + 1) % 3, nil
}

// rotateCA applies one step to a CA's files.
func (s *Store) rotateCA(a *authority, step string, c *compiler.Cluster, now time.Time) error {
	cur, err := s.pair(a.Store, true)
	if err != nil {
		return err
	}
	if cur == nil {
		return fmt.Errorf("PKI store: no CA %s to rotate; a compile creates it", s.path(a.Store+".crt"))
	}
	if cur.Key == nil {
		return fmt.Errorf("PKI store: %s has no key (external CA): rotate it with the tooling that keeps its key", s.path(a.Store+".crt"))
	}
	if a.ID == etcdCA && !a.Needed(c) {
		return fmt.Errorf("the description uses an external etcd: its CA is not kubeforge's to rotate")
	}
	switch step {
	case RotateStart:
		serial, err := newSerial(rand.Reader)
		if err != nil {
			return err
		}
		req := caRequest(a)
		j := &keyJob{alg: c.PKI.KeyAlgorithm, req: &req, serial: serial, valid: newValidity(now.UTC().Truncate(time.Second), c.PKI.CAValidity)}
		if j.run(rand.Reader); j.err != nil {
			return j.err
		}
		s.set(a.Store+nextSuffix+".crt", j.out.CertPEM, StoreCertMode)
		s.set(a.Store+nextSuffix+".key", j.out.KeyPEM, StoreKeyMode)
	case RotateAdvance:
		next, err := s.pair(a.Store+nextSuffix, false)
		if err != nil {
			return err
		}
		s.set(a.Store+prevSuffix+".crt", cur.CertPEM, StoreCertMode)
		s.set(a.Store+prevSuffix+".key", cur.KeyPEM, StoreKeyMode)
		s.set(a.Store+".crt", next.CertPEM, StoreCertMode)
		s.set(a.Store+".key", next.KeyPEM, StoreKeyMode)
		delete(s.Files, a.Store+nextSuffix+".crt")
		delete(s.Files, a.Store+nextSuffix+".key")
	case RotateFinish:
		prev, err := s.pair(a.Store+prevSuffix, true)
		if err != nil {
			return err
		}
		s.set(historyPath(a.Store, prev.Cert.Raw, ".crt"), prev.CertPEM, StoreCertMode)
		delete(s.Files, a.Store+prevSuffix+".crt")
		delete(s.Files, a.Store+prevSuffix+".key")
	}
	return nil
}

// rotateServiceAccount applies one step to the service-account key's files.
func (s *Store) rotateServiceAccount(step string, c *compiler.Cluster) error {
	l := &loaded{}
	if err := s.loadServiceAccount(l, false); err != nil {
		return err
	}
	if l.saKey == nil {
		return fmt.Errorf("PKI store: no service-account key %s to rotate; a compile creates it", s.path(saKeyStore))
	}
	nextKey := saBase + nextSuffix + ".key"
	prevPub := saBase + prevSuffix + ".pub"
	switch step {
	case RotateStart:
		j := &keyJob{alg: c.PKI.KeyAlgorithm}
		if j.run(rand.Reader); j.err != nil {
			return j.err
		}
		s.set(nextKey, j.out.KeyPEM, StoreKeyMode)
	case RotateAdvance:
		key, err := parseKey(s.get(nextKey))
		if err != nil {
			return fmt.Errorf("PKI store: %s: %v", s.path(nextKey), err)
		}
		pub, err := encodePublicKey(key.Public())
		if err != nil {
			return err
		}
		oldPub, err := encodePublicKey(l.saKey.Public())
		if err != nil {
			return err
		}
		s.set(prevPub, oldPub, StoreCertMode)
		s.set(saKeyStore, s.get(nextKey), StoreKeyMode)
		s.set(saPubStore, pub, StoreCertMode)
		delete(s.Files, nextKey)
	case RotateFinish:
		der, err := pubDER(s.get(prevPub))
		if err != nil {
			return fmt.Errorf("PKI store: %s: %v", s.path(prevPub), err)
		}
		s.set(historyPath(saBase, der, ".pub"), s.get(prevPub), StoreCertMode)
		delete(s.Files, prevPub)
	}
	return nil
}

func pubDER(data []byte) ([]byte, error) {
	pub, err := parsePublicKey(data)
	if err != nil {
		return nil, err
	}
	return x509.MarshalPKIXPublicKey(pub)
}

// historyPath returns where a retired CA certificate or public key is kept: named by the
// store base and a digest of its DER, so that retiring twice cannot overwrite.
func historyPath(base string, der []byte, ext string) string {
	sum := sha256.Sum256(der)
	return path.Join(historyDir, strings.ReplaceAll(base, "/", "-")+"-"+hex.EncodeToString(sum[:8])+ext)
}

// trustBundle returns the PEM every host trusts for a CA: its certificate alone, or during a
// rotation the outgoing and the incoming one, outgoing first.
func trustBundle(cur *keyPair, other *keyPair, stage RotationStage) []byte {
	switch {
	case other == nil:
		return cur.CertPEM
	case stage == RotationTrustBoth:
		return slices.Concat(cur.CertPEM, other.CertPEM)
	}
	return slices.Concat(other.CertPEM, cur.CertPEM)
}

// withRotation adds to a store check's rows the part each CA certificate plays in a rotation
// under way, and a row for the service-account key's, read from which files the store holds.
func withRotation(rows []CertStatus, files fileSet) []CertStatus {
	has := func(rel string) bool { _, ok := files["/"+rel]; return ok }
	part := map[string]string{}
	for _, a := range authorities {
		switch {
		case has(a.Store + nextSuffix + ".crt"):
			part[a.Store+".crt"] = "stage " + RotationTrustBoth.String() + ": outgoing, signs"
			part[a.Store+nextSuffix+".crt"] = "stage " + RotationTrustBoth.String() + ": incoming, trusted"
		case has(a.Store + prevSuffix + ".crt"):
			part[a.Store+".crt"] = "stage " + RotationIssueNew.String() + ": incoming, signs"
			part[a.Store+prevSuffix+".crt"] = "stage " + RotationIssueNew.String() + ": outgoing, trusted"
		}
	}
	for i := range rows {
		if rows[i].Host == "" {
			rows[i].Rotation = part[rows[i].File]
		}
	}
	switch {
	case has(saBase + nextSuffix + ".key"):
		rows = append(rows, CertStatus{File: saBase + nextSuffix + ".key", Subject: "service-account key",
			Rotation: "stage " + RotationTrustBoth.String() + ": incoming, trusted (sa.key still signs)"})
	case has(saBase + prevSuffix + ".pub"):
		rows = append(rows, CertStatus{File: saBase + prevSuffix + ".pub", Subject: "service-account key",
			Rotation: "stage " + RotationIssueNew.String() + ": outgoing, trusted (sa.key signs)"})
	}
	slices.SortStableFunc(rows, func(a, b CertStatus) int { return strings.Compare(a.File, b.File) })
	return rows
}
