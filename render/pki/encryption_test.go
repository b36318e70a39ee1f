package pki

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/compiler/diag"
)

// encryptedCluster returns a cluster of one control-plane host and one worker whose
// encryptionAtRest has the given keys (YAML flow list).
func encryptedCluster(t testing.TB, keys string) *compiler.Cluster {
	return compilertest.LoadYAML(t, `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
kubernetesVersion: "1.36"
controlPlaneEndpoint: 10.0.0.10
apiServer:
  encryptionAtRest:
    resources: [secrets, configmaps]
    keys: `+keys+`
hosts:
  - {name: cp1, addresses: [10.0.0.1], roles: [control-plane]}
  - {name: cp2, addresses: [10.0.0.2], roles: [control-plane]}
  - {name: w1, addresses: [10.0.0.3], roles: [worker]}
`)
}

// encryptionConfigOf returns host h's EncryptionConfiguration, decoded strictly with the
// apiserver's type, and the raw file; ok is false when the host has none.
func encryptionConfigOf(t *testing.T, r *Result, c *compiler.Cluster, host string) (apiserverv1.EncryptionConfiguration, []byte, bool) {
	t.Helper()
	var ec apiserverv1.EncryptionConfiguration
	a, ok := lookup(r.HostArtifacts(compilertest.Host(t, c, host)), compiler.EncryptionConfigPath)
	if !ok {
		return ec, nil, false
	}
	if !a.Secret || a.Mode != keyMode {
		t.Errorf("%s: %s is not a 0600 secret (mode %v, secret %v)", host, a.Path, a.Mode, a.Secret)
	}
	if err := yaml.UnmarshalStrict(a.Data, &ec); err != nil {
		t.Fatalf("%s: strict decode: %v", host, err)
	}
	return ec, a.Data, true
}

// writerOrder returns the secretbox keys in the order the apiserver tries them.
func writerOrder(ec apiserverv1.EncryptionConfiguration) []string {
	var out []string
	for _, p := range ec.Resources[0].Providers {
		if p.Secretbox != nil {
			for _, k := range p.Secretbox.Keys {
				out = append(out, k.Name)
			}
		}
	}
	return out
}

// TestEncryptionKeyReused: the key is made once into the store, every control-plane host gets
// the same configuration, no other host any, and a second compile from the store gives the
// same bytes without touching the store.
func TestEncryptionKeyReused(t *testing.T) {
	c := encryptedCluster(t, "[{name: key1}]")
	st, r := issuedStore(t, c)
	stored, ok := st.Files["encryption/key1.key"]
	if !ok || stored.Mode != StoreKeyMode {
		t.Fatalf("store: encryption/key1.key missing or not 0600: %+v", stored)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(stored.Data)))
	if err != nil || len(raw) != 32 {
		t.Fatalf("stored key: %d bytes, %v", len(raw), err)
	}
	_, first, ok := encryptionConfigOf(t, r, c, "cp1")
	if !ok {
		t.Fatal("cp1 has no EncryptionConfiguration")
	}
	if !bytes.Contains(first, []byte(strings.TrimSpace(string(stored.Data)))) {
		t.Error("the configuration does not hold the stored key")
	}
	if _, other, _ := encryptionConfigOf(t, r, c, "cp2"); !bytes.Equal(first, other) {
		t.Error("cp1 and cp2 have different configurations")
	}
	if _, _, ok := encryptionConfigOf(t, r, c, "w1"); ok {
		t.Error("a worker received the encryption keys")
	}
	again := issue(t, c, Options{Store: st})
	if again.Changed() {
		t.Error("a second compile changed the store")
	}
	if _, second, _ := encryptionConfigOf(t, again, c, "cp1"); !bytes.Equal(first, second) {
		t.Error("same store, different EncryptionConfiguration")
	}
	// Without the store every compile would make a new key.
	if _, fresh, _ := encryptionConfigOf(t, issue(t, c, Options{}), c, "cp1"); bytes.Equal(first, fresh) {
		t.Error("two stores gave one key")
	}
}

// TestEncryptionRotation runs a rotation compile by compile from one store: add key2 as a
// reader, promote it, drop key1. Each stage keeps key1's bytes, and the store keeps key1 after
// it is dropped.
func TestEncryptionRotation(t *testing.T) {
	st, r := issuedStore(t, encryptedCluster(t, "[{name: key1}]"))
	key1 := string(st.Files["encryption/key1.key"].Data)
	for _, stage := range []struct{ keys, want string }{
		{"[{name: key1}, {name: key2}]", "key1,key2"},
		{"[{name: key2}, {name: key1}]", "key2,key1"},
		{"[{name: key2}]", "key2"},
	} {
		c := encryptedCluster(t, stage.keys)
		r = issue(t, c, Options{Store: st})
		st = r.Store()
		ec, data, _ := encryptionConfigOf(t, r, c, "cp1")
		if got := strings.Join(writerOrder(ec), ","); got != stage.want {
			t.Errorf("keys %s: providers read %s, want %s", stage.keys, got, stage.want)
		}
		if p := ec.Resources[0].Providers; p[len(p)-1].Identity == nil {
			t.Errorf("keys %s: identity is not last", stage.keys)
		}
		if strings.Contains(stage.want, "key1") && !bytes.Contains(data, bytes.TrimSpace([]byte(key1))) {
			t.Errorf("keys %s: key1 changed", stage.keys)
		}
	}
	if string(st.Files["encryption/key1.key"].Data) != key1 {
		t.Error("the store lost key1 when the description dropped it")
	}
}

// TestNewKeyMustReadFirst: a key the store lacks may not become the writer at once when the
// store already has a key; on a first compile it may.
func TestNewKeyMustReadFirst(t *testing.T) {
	st, _ := issuedStore(t, encryptedCluster(t, "[{name: key1}]"))
	_, err := Issue(encryptedCluster(t, "[{name: key2}, {name: key1}]"), Options{Store: st, Now: at(t0)})
	var ds diag.List
	if !errors.As(err, &ds) || len(ds) != 1 || ds[0].Code != diag.CodeEncryptionKeyNotReader {
		t.Fatalf("a new writer was accepted, or refused without its diagnostic: %v", err)
	}
	// keys: [{name: key2}, ...] is on line 9 of encryptedCluster's description.
	if d := ds[0]; d.Path != "apiServer.encryptionAtRest.keys[0].name" || d.Pos.Line != 9 || d.Pos.Column == 0 {
		t.Errorf("diagnostic at %s %s, want keys[0].name on line 9", d.Pos, d.Path)
	}
	if _, err := Issue(encryptedCluster(t, "[{name: key2}, {name: key1}]"), Options{Store: &Store{}, Now: at(t0)}); err != nil {
		t.Errorf("first compile: %v", err)
	}
}

// TestEncryptionRotationRecorded: the store records the order keys were made in and the last
// key list, the compile report gives each stage, and dropping the key that wrote last before
// another wrote (skipping stage 2) is refused.
func TestEncryptionRotationRecorded(t *testing.T) {
	st, _ := issuedStore(t, encryptedCluster(t, "[{name: key1}]"))
	for _, stage := range []struct {
		keys, record string
		want         compiler.RotationStage
	}{
		{"[{name: key1}, {name: key2}]", `{"made":["key1","key2"],"compiled":["key1","key2"]}`, compiler.StageNewKeyReading},
		{"[{name: key2}, {name: key1}]", `{"made":["key1","key2"],"compiled":["key2","key1"]}`, compiler.StageNewKeyWriting},
		{"[{name: key2}]", `{"made":["key1","key2"],"compiled":["key2"]}`, compiler.StageSingleKey},
	} {
		if stage.want == compiler.StageSingleKey {
			// Before: the same step taken straight from stage 1 is refused.
			stage1 := st.clone()
			stage1.set(EncryptionRecordPath, []byte(`{"made":["key1","key2"],"compiled":["key1","key2"]}`), StoreCertMode)
			_, err := Issue(encryptedCluster(t, stage.keys), Options{Store: stage1, Now: at(t0)})
			var ds diag.List
			if !errors.As(err, &ds) || ds[0].Code != diag.CodeEncryptionWriterDropped || ds[0].Path != "apiServer.encryptionAtRest.keys" {
				t.Errorf("key1 dropped while it wrote: %v", err)
			}
		}
		r := issue(t, encryptedCluster(t, stage.keys), Options{Store: st})
		st = r.Store()
		if got := strings.TrimSpace(string(st.Files[EncryptionRecordPath].Data)); got != stage.record {
			t.Errorf("keys %s: record %s, want %s", stage.keys, got, stage.record)
		}
		for _, e := range r.Report() {
			if strings.HasPrefix(e.Name, "encryption-key") && !strings.Contains(e.Reason, string(stage.want)) && stage.want != compiler.StageSingleKey {
				t.Errorf("keys %s: %s reported as %q, want the stage %q", stage.keys, e.Name, e.Reason, stage.want)
			}
		}
	}
}

// TestEncryptionKeyStoreChecked: a stored key that is not 32 bytes of base64 is an error naming
// the file, never replaced.
func TestEncryptionKeyStoreChecked(t *testing.T) {
	c := encryptedCluster(t, "[{name: key1}]")
	st, _ := issuedStore(t, c)
	for name, data := range map[string]string{"short": base64.StdEncoding.EncodeToString(make([]byte, 16)), "not base64": "%%%\n"} {
		_, err := Issue(c, Options{Store: withFiles(st, map[string][]byte{"encryption/key1.key": []byte(data)}), Now: at(t0)})
		if err == nil || !strings.Contains(err.Error(), "encryption/key1.key") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestEncryptionKeysUnknown: without the store (diff --no-pki-store) the configuration is an
// Unknown secret, not a configuration with made-up keys.
func TestEncryptionKeysUnknown(t *testing.T) {
	c := encryptedCluster(t, "[{name: key1}]")
	r := issue(t, c, Options{KeysUnknown: true})
	a, ok := lookup(r.HostArtifacts(compilertest.Host(t, c, "cp1")), compiler.EncryptionConfigPath)
	if !ok || !a.Unknown || !a.Secret || a.Data != nil {
		t.Errorf("artifact %+v", a)
	}
}

// TestHostileKeyRecord: a store whose encryption/keys.json names a key with a newline, a
// control byte or a path is refused by a compile and reported by pki check, neither echoing
// the name (it would reach each host's EncryptionConfiguration comment line otherwise).
func TestHostileKeyRecord(t *testing.T) {
	c := encryptedCluster(t, "[{name: key1}]")
	st, _ := issuedStore(t, c)
	for _, name := range []string{"key1\nkind: Hostile", "key1\x1b[2J", "../key1", strings.Repeat("k", 64)} {
		record, _ := json.Marshal(compiler.EncryptionKeyRecord{Made: []string{"key1", name}, Compiled: []string{"key1"}})
		bad := st.clone()
		bad.set(EncryptionRecordPath, record, StoreCertMode)
		_, err := Issue(c, Options{Store: bad, Now: at(t0)})
		if err == nil || !strings.Contains(err.Error(), "made[1] is not a key name") || strings.Contains(err.Error(), name) {
			t.Errorf("record naming %q: compile gave %v", name, err)
		}
		in := CheckInput{Files: map[string]string{}, Read: func(p string) ([]byte, string) {
			return bad.Files[strings.TrimPrefix(p, "/")].Data, ""
		}}
		for rel := range bad.Files {
			in.Files["/"+rel] = ""
		}
		es := CheckStoreEncryption(in)
		if es == nil || !es.Failed() || strings.Contains(strings.Join(es.Problems, "\n"), name) {
			t.Errorf("record naming %q: pki check gave %+v", name, es)
		}
	}
}
