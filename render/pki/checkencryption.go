package pki

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"text/tabwriter"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
)

// EncryptionStatus is what `pki check` finds of encryption at rest in a store or on a
// control-plane host: the keys (by fingerprint, never their bytes), which writes, and the
// rotation stage.
type EncryptionStatus struct {
	// Host is the host whose tree holds the configuration; empty for a store and a single tree.
	Host string `json:"host,omitempty"`
	// File is the store's directory of keys, or the host's EncryptionConfiguration.
	File string `json:"file"`
	// From says where the writer and the stage come from: the host's configuration, or for a
	// store the last compile's key list (what the hosts run only a bundle can tell).
	From  string                 `json:"from"`
	Keys  []EncryptionKeyStatus  `json:"keys"`
	Stage compiler.RotationStage `json:"stage,omitempty"`
	// Problems are what makes the keys unusable or the stage unknown.
	Problems []string `json:"problems,omitempty"`
}

// EncryptionKeyStatus is one key.
type EncryptionKeyStatus struct {
	Name string `json:"name"`
	// Provider is the key's provider in a host's configuration; empty in a store.
	Provider string `json:"provider,omitempty"`
	// Fingerprint is "sha256:" and the first 16 hex digits of the SHA-256 of the key's bytes:
	// equal on the store and the hosts when they hold the same key.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Role is KeyWrites, KeyReads or KeyStale.
	Role     string   `json:"role"`
	Problems []string `json:"problems,omitempty"`
}

// Roles of an encryption key.
const (
	KeyWrites = "writes"
	KeyReads  = "reads"
	// KeyStale: a store key the last compile did not list; nothing reads it any more, so it
	// can be deleted.
	KeyStale = "stale: no longer listed, can be deleted"
	// KeyUnknown: a store key without the record that says whether it is listed.
	KeyUnknown = "unknown: the store has no record of the last compile"
)

// Sources of an EncryptionStatus' writer and stage.
const (
	FromLastCompile = "the store's record of the last compile"
	FromHostConfig  = "the host's EncryptionConfiguration"
)

// Failed reports whether the keys cannot be relied on: `pki check` then exits 1.
func (s EncryptionStatus) Failed() bool {
	return len(s.Problems) > 0 || slices.ContainsFunc(s.Keys, func(k EncryptionKeyStatus) bool { return len(k.Problems) > 0 })
}

// CheckStoreEncryption returns the encryption keys of a store, by name, with the roles and
// the stage of the last compile's key list; nil when the store holds none.
func CheckStoreEncryption(in CheckInput) *EncryptionStatus {
	files := newFileSet(in)
	st := &EncryptionStatus{File: encryptionDir + "/", From: FromLastCompile}
	var names []string
	for p := range files {
		if name, ok := strings.CutPrefix(p, "/"+encryptionDir+"/"); ok && path.Ext(name) == compiler.EncryptionKeySuffix && !strings.Contains(name, "/") {
			names = append(names, strings.TrimSuffix(name, compiler.EncryptionKeySuffix))
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	var rec *compiler.EncryptionKeyRecord
	switch data, problem, ok := files.get("/" + EncryptionRecordPath); {
	case !ok:
		st.Problems = append(st.Problems, EncryptionRecordPath+" is missing: which key writes is not known (compile once to record it)")
	case problem != "":
		st.Problems = append(st.Problems, EncryptionRecordPath+" "+problem)
	default:
		var err error
		if rec, err = compiler.ParseEncryptionKeyRecord(data); err != nil {
			st.Problems = append(st.Problems, fmt.Sprintf("%s: %v", EncryptionRecordPath, err))
		}
	}
	for _, n := range names {
		k := EncryptionKeyStatus{Name: n, Role: KeyUnknown}
		data, problem, _ := files.get("/" + encryptionKeyPath(n))
		if problem == "" {
			secret, err := parseEncryptionKey(data)
			if err != nil {
				problem = err.Error()
			} else {
				k.Fingerprint = keyFingerprint(secret)
			}
		}
		if problem != "" {
			k.Problems = []string{problem}
		}
		if rec != nil {
			switch i := slices.Index(rec.Compiled, n); {
			case i == 0:
				k.Role = KeyWrites
			case i > 0:
				k.Role = KeyReads
			default:
				k.Role = KeyStale
			}
		}
		st.Keys = append(st.Keys, k)
	}
	if rec != nil {
		for _, n := range rec.Compiled {
			if !slices.Contains(names, n) {
				st.Problems = append(st.Problems, fmt.Sprintf("key %s of the last compile is missing from the store", n))
			}
		}
		// The writer first, then the readers in order, then the stale keys.
		slices.SortStableFunc(st.Keys, func(a, b EncryptionKeyStatus) int { return listed(rec.Compiled, a.Name) - listed(rec.Compiled, b.Name) })
		st.Stage = compiler.EncryptionStage(rec.Compiled, rec.Made)
	}
	return st
}

// listed returns the index of name in keys, len(keys) when absent.
func listed(keys []string, name string) int {
	if i := slices.Index(keys, name); i >= 0 {
		return i
	}
	return len(keys)
}

// CheckTreeEncryption returns the EncryptionConfiguration of one host's tree: its keys in the
// order the apiserver tries them (the first writes) and the stage; nil when the tree has none.
func CheckTreeEncryption(in CheckInput, host string) *EncryptionStatus {
	files := newFileSet(in)
	data, problem, ok := files.get(compiler.EncryptionConfigPath)
	if !ok {
		return nil
	}
	st := &EncryptionStatus{Host: host, File: strings.TrimPrefix(path.Join(host, compiler.EncryptionConfigPath), "/"), From: FromHostConfig}
	if problem != "" {
		st.Problems = []string{problem}
		return st
	}
	var ec apiserverv1.EncryptionConfiguration
	if err := yaml.UnmarshalStrict(data, &ec); err != nil {
		st.Problems = []string{"not an EncryptionConfiguration: " + err.Error()}
		return st
	}
	var names []string
	// The resources share one provider list (apiserversec.EncryptionConfig): the first's.
	for _, p := range firstProviders(ec) {
		provider, keys := providerOf(p)
		for _, key := range keys {
			if slices.Contains(names, key.Name) {
				continue
			}
			k := EncryptionKeyStatus{Name: key.Name, Provider: provider, Role: KeyReads}
			if len(names) == 0 {
				k.Role = KeyWrites
			}
			if _, err := parseEncryptionKey([]byte(key.Secret)); err != nil {
				k.Problems = []string{err.Error()}
			} else {
				k.Fingerprint = keyFingerprint(key.Secret)
			}
			names = append(names, key.Name)
			st.Keys = append(st.Keys, k)
		}
	}
	if len(names) == 0 {
		st.Problems = append(st.Problems, "no key: the apiserver stores in plain text")
		return st
	}
	first, _, _ := strings.Cut(string(data), "\n")
	made, ok := strings.CutPrefix(first, encryptionMadeComment)
	if !ok && len(names) > 1 {
		st.Problems = append(st.Problems, "the file does not say which key is new (no kubeforge comment on its first line)")
		return st
	}
	st.Stage = compiler.EncryptionStage(names, strings.Split(made, ","))
	return st
}

// firstProviders returns the providers of the configuration's first resource entry.
func firstProviders(ec apiserverv1.EncryptionConfiguration) []apiserverv1.ProviderConfiguration {
	if len(ec.Resources) == 0 {
		return nil
	}
	return ec.Resources[0].Providers
}

// providerOf returns a provider entry's name and keys (none for identity).
func providerOf(p apiserverv1.ProviderConfiguration) (string, []apiserverv1.Key) {
	switch {
	case p.Secretbox != nil:
		return compiler.ProviderSecretbox, p.Secretbox.Keys
	case p.AESGCM != nil:
		return compiler.ProviderAESGCM, p.AESGCM.Keys
	case p.AESCBC != nil:
		return compiler.ProviderAESCBC, p.AESCBC.Keys
	}
	return "", nil
}

// keyFingerprint returns the fingerprint of a key given as base64: it names the key without
// revealing it.
func keyFingerprint(secret string) string {
	raw, _ := base64.StdEncoding.DecodeString(secret)
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:])[:16]
}

// WriteEncryptionTable prints each status as a table of keys under a line naming its file,
// the stage and where they come from; nothing when there is none.
func WriteEncryptionTable(w io.Writer, statuses []EncryptionStatus) error {
	for _, s := range statuses {
		stage := string(s.Stage)
		if stage == "" {
			stage = "unknown"
		}
		fmt.Fprintf(w, "\nENCRYPTION AT REST %s: %s (from %s)\n", printable(s.File), stage, s.From)
		for _, p := range s.Problems {
			fmt.Fprintf(w, "  problem: %s\n", printable(p))
		}
		tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
		fmt.Fprintln(tw, "KEY\tPROVIDER\tFINGERPRINT\tROLE\tSTATUS")
		for _, k := range s.Keys {
			status := "ok"
			if len(k.Problems) > 0 {
				status = printable(strings.Join(k.Problems, "; "))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", printable(k.Name), dash(k.Provider), dash(k.Fingerprint), k.Role, status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return printable(s)
}
