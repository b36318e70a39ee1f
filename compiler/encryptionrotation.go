package compiler

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// Rotating the encryption keys is a change of apiServer.encryptionAtRest.keys over three
// compiles. Whether a change is a safe step depends on the PKI store (which keys exist, which
// wrote last time), so it is checked where the store is read (render/pki), with the store's
// side given as data.

// Where the PKI store keeps the encryption keys: KEY.key files and the record.
const (
	EncryptionStoreDir    = "encryption"
	EncryptionRecordFile  = "keys.json"
	EncryptionKeySuffix   = ".key"
	encryptionRecordLimit = 64 << 10
)

// EncryptionKeyRecord is what the PKI store remembers of its encryption keys besides their
// bytes: the order they were made in, oldest first, and the key list of the last compile,
// writer first. It holds names only.
type EncryptionKeyRecord struct {
	Made     []string `json:"made"`
	Compiled []string `json:"compiled"`
}

// ParseEncryptionKeyRecord returns the record of a store's encryption/keys.json.
func ParseEncryptionKeyRecord(data []byte) (*EncryptionKeyRecord, error) {
	if len(data) > encryptionRecordLimit {
		return nil, fmt.Errorf("larger than %d bytes", encryptionRecordLimit)
	}
	var r EncryptionKeyRecord
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, err
	}
	// The names reach diagnostics, pki check's report and the comment line of each host's
	// EncryptionConfiguration: only what the schema accepts as a key name (#DNSLabel).
	for _, list := range []struct {
		field string
		names []string
	}{{"made", r.Made}, {"compiled", r.Compiled}} {
		for i, n := range list.names {
			if len(validation.IsDNS1123Label(n)) > 0 {
				return nil, fmt.Errorf("%s[%d] is not a key name (a DNS label)", list.field, i)
			}
		}
	}
	return &r, nil
}

// StoredEncryptionKeys is the PKI store's side of a rotation.
type StoredEncryptionKeys struct {
	// Names are the keys the store holds.
	Names []string
	// Record is nil for a store without one (keys made before kubeforge kept it).
	Record *EncryptionKeyRecord
}

// RotationStage says where a key list stands in a rotation.
type RotationStage string

const (
	StageSingleKey     RotationStage = "single key"
	StageNewKeyReading RotationStage = "new key reading (stage 1 of 3: promote next)"
	StageNewKeyWriting RotationStage = "new key writing, old key still reading (stage 2 of 3: re-write Secrets with `kubectl get secrets -A -o json | kubectl replace -f -`, then drop the old key)"
	// StageUnrecorded: several keys, none of which the store recorded making.
	StageUnrecorded RotationStage = "several keys; which is new is not recorded (keys made before kubeforge kept encryption/keys.json)"
)

// EncryptionStage returns the stage of keys (writer first) given the order the store made
// them in (oldest first): a writer made after every reader is a new key writing, a reader
// made after the writer a new key reading. Keys the record lacks count as the oldest.
func EncryptionStage(keys, made []string) RotationStage {
	if len(keys) <= 1 {
		return StageSingleKey
	}
	age := func(k string) int { return slices.Index(made, k) }
	newest := slices.MaxFunc(keys, func(a, b string) int { return age(a) - age(b) })
	switch {
	case age(newest) < 0:
		return StageUnrecorded
	case newest == keys[0]:
		return StageNewKeyWriting
	}
	return StageNewKeyReading
}

// CheckEncryptionRotation returns the problems of the description's keys as a step from what
// the store holds: a new key must be a reader before it writes, and the key that wrote last
// may only go once another has written in its place. The diagnostics are at the keys' sites.
func CheckEncryptionRotation(e *EncryptionAtRest, stored StoredEncryptionKeys) diag.List {
	if e == nil || len(stored.Names) == 0 {
		return nil
	}
	w := e.Writer()
	current := stored.currentWriter(e)
	if !slices.Contains(stored.Names, w.Name) {
		return diag.List{atSite(w.At, diag.CodeEncryptionKeyNotReader,
			fmt.Sprintf("an apiserver still on the current keys could not read what it writes. Add it after the current writer first (keys: [%s, %s]), compile and roll out to every control-plane host, then move it first (README: encryption at rest)", current, w.Name),
			"encryption key %s is not in the PKI store and would write at once: a new key must be a reader first", w.Name)}
	}
	if r := stored.Record; r != nil && len(r.Compiled) > 0 && !slices.ContainsFunc(e.Keys, func(k EncryptionKey) bool { return k.Name == r.Compiled[0] }) {
		return diag.List{atSite(e.KeysAt, diag.CodeEncryptionWriterDropped,
			fmt.Sprintf("what it encrypted would no longer read. Keep it as a reader while %s writes (keys: [%s, %s]), roll out, rewrite the Secrets, then drop it (README: encryption at rest)", w.Name, w.Name, r.Compiled[0]),
			"encryption key %s wrote at the last compile and is dropped before %s has written", r.Compiled[0], w.Name)}
	}
	return nil
}

// currentWriter returns the key that writes now, as far as the store tells: the last
// compile's writer, else a stored key the description lists, else the first stored key.
func (s StoredEncryptionKeys) currentWriter(e *EncryptionAtRest) string {
	if s.Record != nil && len(s.Record.Compiled) > 0 {
		return s.Record.Compiled[0]
	}
	for _, k := range e.Keys {
		if slices.Contains(s.Names, k.Name) {
			return k.Name
		}
	}
	return slices.Min(s.Names)
}

// atSite returns an error diagnostic at a site of the model.
func atSite(s Site, code diag.Code, detail, format string, args ...any) diag.Diagnostic {
	if reportHook != nil {
		reportHook(code, diag.Error, format)
	}
	return diag.Diagnostic{Code: code, Severity: diag.Error, Pos: s.Pos, End: s.End, Path: s.Path,
		Summary: fmt.Sprintf(format, args...), Detail: detail}
}
