package pki

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"path"
	"strings"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/apiserversec"
)

// The keys of apiServer.encryptionAtRest live in the store as encryption/<name>.key: the
// base64 of apiserversec.KeySize random bytes and a newline, which is how the
// EncryptionConfiguration holds them. A key is made once, when the description first names
// it, and kept by every later compile, so the same store gives the same configuration; a key
// the description no longer names stays in the store (values it encrypted may not all have
// been rewritten).
const encryptionDir = "encryption"

// encryptionKeyPath returns the store path of an encryption key.
func encryptionKeyPath(name string) string { return path.Join(encryptionDir, name+".key") }

// issueEncryptionKeys takes the keys the description names from the store and makes the
// missing ones. A new key may write only when the store has no encryption key yet: otherwise
// an apiserver still running the previous configuration could not read what another wrote
// with it, so it must first be added as a reader (README: encryption at rest).
func (r *Result) issueEncryptionKeys() error {
	e := r.cluster.APIServer.EncryptionAtRest
	if e == nil {
		return nil
	}
	r.encryptionSecrets = map[string]string{}
	for i, k := range e.Keys {
		rel := encryptionKeyPath(k.Name)
		ev := Event{Kind: Kept, Name: "encryption-key " + k.Name, File: rel, Reason: encryptionStage(e, i)}
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
		if i == 0 && r.hasEncryptionKeys() {
			return fmt.Errorf("apiServer.encryptionAtRest.keys: key %s is not in the PKI store %s and would encrypt at once; an apiserver still on the current keys could not read what it writes. Add it after the current writer first (keys: [%s, %s]), compile and roll out to every control-plane host, then move it first",
				k.Name, r.store.path(encryptionDir), e.Keys[len(e.Keys)-1].Name, k.Name)
		}
		raw := make([]byte, apiserversec.KeySize)
		if _, err := rand.Read(raw); err != nil {
			return err
		}
		secret := base64.StdEncoding.EncodeToString(raw)
		r.store.set(rel, []byte(secret+"\n"), StoreKeyMode)
		r.encryptionSecrets[k.Name] = secret
		ev.Kind = Issued
		r.events = append(r.events, ev)
		r.changed = true
	}
	return nil
}

// encryptionStage returns what the compile report says of the description's i-th key while a
// rotation is under way, "" when it is the only key.
func encryptionStage(e *compiler.EncryptionAtRest, i int) string {
	switch {
	case len(e.Keys) == 1:
		return ""
	case i == 0:
		return "writes; the other keys only read: once every apiserver runs this configuration, rewrite the Secrets, then drop the other keys (README: encryption at rest)"
	}
	return "reads only: once every apiserver has it, move it first to make it the writer"
}

// hasEncryptionKeys reports whether the store holds any encryption key.
func (r *Result) hasEncryptionKeys() bool {
	for rel := range r.store.Files {
		if strings.HasPrefix(rel, encryptionDir+"/") && strings.HasSuffix(rel, ".key") {
			return true
		}
	}
	return false
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
	return apiserversec.EncryptionConfig(e, r.encryptionSecrets)
}
