package pki

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/apiserversec"
)

// The keys of apiServer.encryptionAtRest live in the store as encryption/<name>.key: the
// base64 of apiserversec.KeySize random bytes and a newline, which is how the
// EncryptionConfiguration holds them. A key is made once, when the description first names
// it, and kept by every later compile, so the same store gives the same configuration; a key
// the description no longer names stays in the store (values it encrypted may not all have
// been rewritten). Beside them, encryption/keys.json records the order the keys were made in
// and the last compile's key list (compiler.EncryptionKeyRecord): what tells a new key from an
// old one, for the rotation check and `pki check`.
const encryptionDir = compiler.EncryptionStoreDir

// EncryptionRecordPath is the store path of the encryption keys' record.
const EncryptionRecordPath = encryptionDir + "/" + compiler.EncryptionRecordFile

// encryptionKeyPath returns the store path of an encryption key.
func encryptionKeyPath(name string) string {
	return path.Join(encryptionDir, name+compiler.EncryptionKeySuffix)
}

// issueEncryptionKeys takes the keys the description names from the store and makes the
// missing ones, once the key list is checked as a step of a rotation from what the store
// holds (compiler.CheckEncryptionRotation: a new key reads before it writes); the error is
// then the diagnostics, positioned in the description.
func (r *Result) issueEncryptionKeys() error {
	e := r.cluster.APIServer.EncryptionAtRest
	if e == nil {
		return nil
	}
	stored, err := r.storedEncryptionKeys()
	if err != nil {
		return err
	}
	if !r.opts.KeysUnknown {
		if ds := compiler.CheckEncryptionRotation(e, stored); ds.HasErrors() {
			return ds
		}
	}
	record := compiler.EncryptionKeyRecord{Made: madeOrder(stored)}
	r.encryptionSecrets = map[string]string{}
	stage := compiler.EncryptionStage(keyNames(e), append(slices.Clone(record.Made), newKeys(e, stored)...))
	for i, k := range e.Keys {
		record.Compiled = append(record.Compiled, k.Name)
		rel := encryptionKeyPath(k.Name)
		ev := Event{Kind: Kept, Name: "encryption-key " + k.Name, File: rel, Reason: encryptionRole(stage, i)}
		if data := r.store.get(rel); data != nil {
			secret, err := parseEncryptionKey(data)
			if err != nil {
				return fmt.Errorf("PKI store: %s: %v", r.store.path(rel), err)
			}
			r.encryptionSecrets[k.Name] = secret
			r.events = append(r.events, ev)
			continue
		}
		if r.opts.KeysUnknown {
			// Without the store the configuration is not known; its file is an Unknown
			// artifact.
			continue
		}
		raw := make([]byte, apiserversec.KeySize)
		if _, err := rand.Read(raw); err != nil {
			return err
		}
		secret := base64.StdEncoding.EncodeToString(raw)
		r.store.set(rel, []byte(secret+"\n"), StoreKeyMode)
		record.Made = append(record.Made, k.Name)
		r.encryptionSecrets[k.Name] = secret
		ev.Kind = Issued
		r.events = append(r.events, ev)
		r.changed = true
	}
	if r.opts.KeysUnknown {
		return nil
	}
	data, err := json.Marshal(record)
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if !bytes.Equal(r.store.get(EncryptionRecordPath), data) {
		r.store.set(EncryptionRecordPath, data, StoreCertMode)
		r.changed = true
	}
	return nil
}

// storedEncryptionKeys returns what the store holds of encryption keys: their names, and the
// record when it has one.
func (r *Result) storedEncryptionKeys() (compiler.StoredEncryptionKeys, error) {
	var s compiler.StoredEncryptionKeys
	for rel := range r.store.Files {
		if name, ok := strings.CutPrefix(rel, encryptionDir+"/"); ok {
			if name, ok := strings.CutSuffix(name, compiler.EncryptionKeySuffix); ok && !strings.Contains(name, "/") {
				s.Names = append(s.Names, name)
			}
		}
	}
	slices.Sort(s.Names)
	if data := r.store.get(EncryptionRecordPath); data != nil {
		rec, err := compiler.ParseEncryptionKeyRecord(data)
		if err != nil {
			return s, fmt.Errorf("PKI store: %s: %v", r.store.path(EncryptionRecordPath), err)
		}
		s.Record = rec
	}
	return s, nil
}

// madeOrder returns the order the stored keys were made in: those the record lacks first (they
// are older than any it records), by name, then the recorded ones; keys no longer in the store
// are forgotten.
func madeOrder(s compiler.StoredEncryptionKeys) []string {
	var recorded []string
	if s.Record != nil {
		recorded = s.Record.Made
	}
	var out []string
	for _, n := range s.Names {
		if !slices.Contains(recorded, n) {
			out = append(out, n)
		}
	}
	for _, n := range recorded {
		if slices.Contains(s.Names, n) && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// newKeys returns the keys of e the store lacks, in the description's order.
func newKeys(e *compiler.EncryptionAtRest, s compiler.StoredEncryptionKeys) []string {
	var out []string
	for _, k := range e.Keys {
		if !slices.Contains(s.Names, k.Name) {
			out = append(out, k.Name)
		}
	}
	return out
}

// keyNames returns the names of e's keys, writer first.
func keyNames(e *compiler.EncryptionAtRest) []string {
	var out []string
	for _, k := range e.Keys {
		out = append(out, k.Name)
	}
	return out
}

// encryptionRole returns what the compile report says of the description's i-th key while a
// rotation is under way, "" when it is the only key.
func encryptionRole(stage compiler.RotationStage, i int) string {
	switch {
	case stage == compiler.StageSingleKey:
		return ""
	case i == 0:
		return "writes; the other keys only read: " + string(stage)
	}
	return "reads only: " + string(stage)
}

// parseEncryptionKey returns the secret of a stored key, checked to be base64 of a key of the
// size every provider takes.
func parseEncryptionKey(data []byte) (string, error) {
	secret := strings.TrimSuffix(string(data), "\n")
	raw, err := base64.StdEncoding.DecodeString(secret)
	if err != nil {
		return "", fmt.Errorf("not a base64 key: %v", err)
	}
	if len(raw) != apiserversec.KeySize {
		return "", fmt.Errorf("the key has %d bytes, want %d", len(raw), apiserversec.KeySize)
	}
	return secret, nil
}

// encryptionConfig returns the EncryptionConfiguration control-plane hosts receive; nil when
// the description asks for none or, without the store, when a key is not known.
func (r *Result) encryptionConfig() ([]byte, error) {
	e := r.cluster.APIServer.EncryptionAtRest
	if e == nil || len(r.encryptionSecrets) < len(e.Keys) {
		return nil, nil
	}
	data, err := apiserversec.EncryptionConfig(e, r.encryptionSecrets)
	if err != nil {
		return nil, err
	}
	rec := &compiler.EncryptionKeyRecord{}
	if stored := r.store.get(EncryptionRecordPath); stored != nil {
		if rec, err = compiler.ParseEncryptionKeyRecord(stored); err != nil {
			return nil, err
		}
	}
	var made []string
	for _, k := range rec.Made {
		if slices.Contains(rec.Compiled, k) {
			made = append(made, k)
		}
	}
	return append([]byte(encryptionMadeComment+strings.Join(made, ",")+"\n"), data...), nil
}

// encryptionMadeComment starts the first line of a host's EncryptionConfiguration: the order
// its keys were made in, oldest first, which the file cannot otherwise tell (stage 1 and
// stage 2 of a rotation list the same two keys), for `pki check --bundle`. A comment: the
// apiserver ignores it.
const encryptionMadeComment = "# kubeforge: keys made in this order, oldest first: "
