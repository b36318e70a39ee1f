package pkicheck

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/emit/emittest"
	"kubeforge.dev/kubeforge/render/pki"
)

// rotatingCluster is a cluster of two control-plane hosts and a worker encrypting with keys
// (a YAML flow list).
func rotatingCluster(t *testing.T, keys string) *compiler.Cluster {
	return compilertest.LoadYAML(t, `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
kubernetesVersion: "1.36"
controlPlaneEndpoint: 10.0.0.10
apiServer:
  encryptionAtRest:
    keys: `+keys+`
hosts:
  - {name: cp1, addresses: [10.0.0.1], roles: [control-plane]}
  - {name: cp2, addresses: [10.0.0.2], roles: [control-plane]}
  - {name: w1, addresses: [10.0.0.3], roles: [worker]}
`)
}

// rotationStep is one compile of a rotation, what the store and a bundle must then say.
type rotationStep struct {
	keys  string
	stage compiler.RotationStage
	// roles are the store's keys in the order listed, as "name=role".
	roles string
}

// TestEncryptionRotationChecked walks a rotation compile by compile on one store and, after
// each, checks the store and a bundle written from it: the keys by fingerprint (the same on
// both, never the bytes), the writer, stale keys, and the stage.
func TestEncryptionRotationChecked(t *testing.T) {
	var store *pki.Store
	for _, step := range []rotationStep{
		{"[{name: key1}]", compiler.StageSingleKey, "key1=writes"},
		{"[{name: key1}, {name: key2}]", compiler.StageNewKeyReading, "key1=writes key2=reads"},
		{"[{name: key2}, {name: key1}]", compiler.StageNewKeyWriting, "key2=writes key1=reads"},
		{"[{name: key2}]", compiler.StageSingleKey, "key2=writes key1=" + pki.KeyStale},
	} {
		c := rotatingCluster(t, step.keys)
		r, err := pki.Issue(c, pki.Options{Store: store, Now: func() time.Time { return t0 }})
		if err != nil {
			t.Fatalf("keys %s: %v", step.keys, err)
		}
		store = r.Store()
		dir := writeStore(t, store)
		rep, err := Store(dir, t0)
		st := rep.Encryption
		if err != nil || len(st) != 1 {
			t.Fatalf("keys %s: %v %+v", step.keys, err, st)
		}
		if got := roles(st[0]); got != step.roles || st[0].Stage != step.stage || st[0].Failed() {
			t.Errorf("keys %s: store says %s, %q (problems %v); want %s, %q", step.keys, got, st[0].Stage, st[0].Problems, step.roles, step.stage)
		}
		noKeyBytes(t, store, st)

		root := t.TempDir()
		for _, h := range c.Hosts {
			emittest.WriteHostTree(t, root, h.Name, r.HostArtifacts(h))
		}
		rep, err = Bundle(root, t0)
		bundle := rep.Encryption
		if err != nil || len(bundle) != 2 || bundle[0].Host != "cp1" || bundle[1].Host != "cp2" {
			t.Fatalf("keys %s: bundle: %v %+v", step.keys, err, bundle)
		}
		for _, b := range bundle {
			want := strings.TrimSuffix(step.roles, " key1="+pki.KeyStale) // a host holds no stale key
			if got := roles(b); got != want || b.Stage != step.stage || b.Failed() {
				t.Errorf("keys %s: %s says %s, %q (problems %v); want %s, %q", step.keys, b.Host, got, b.Stage, b.Problems, want, step.stage)
			}
			for i, k := range b.Keys {
				if s := st[0].Keys[i]; k.Fingerprint != s.Fingerprint || k.Fingerprint == "" {
					t.Errorf("keys %s: %s's %s has fingerprint %q, the store's %s %q", step.keys, b.Host, k.Name, k.Fingerprint, s.Name, s.Fingerprint)
				}
			}
		}
		noKeyBytes(t, store, bundle)
	}
}

// TestEncryptionCheckProblems: a store key that is not a key, a store without the record and
// a host file without kubeforge's first line each fail with what is wrong.
func TestEncryptionCheckProblems(t *testing.T) {
	c := rotatingCluster(t, "[{name: key1}, {name: key2}]")
	r, err := pki.Issue(c, pki.Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	store := r.Store()
	dir := writeStore(t, store)
	os.WriteFile(filepath.Join(dir, "encryption", "key2.key"), []byte("short\n"), 0o600)
	os.Remove(filepath.Join(dir, filepath.FromSlash(pki.EncryptionRecordPath)))
	rep, err := Store(dir, t0)
	st := rep.Encryption
	if err != nil || len(st) != 1 || !st[0].Failed() || st[0].Stage != "" {
		t.Fatalf("%v %+v", err, st)
	}
	if k := st[0].Keys[1]; k.Name != "key2" || len(k.Problems) == 0 || k.Fingerprint != "" || k.Role != pki.KeyUnknown {
		t.Errorf("a broken key: %+v", k)
	}
	if !strings.Contains(strings.Join(st[0].Problems, ";"), "keys.json is missing") {
		t.Errorf("no record: %v", st[0].Problems)
	}

	root := t.TempDir()
	emittest.WriteHostTree(t, root, "cp1", r.HostArtifacts(compilertest.Host(t, c, "cp1")))
	conf := filepath.Join(root, "cp1", compiler.EncryptionConfigPath)
	data, _ := os.ReadFile(conf)
	_, rest, _ := strings.Cut(string(data), "\n")
	os.WriteFile(conf, []byte(rest), 0o600)
	rep, err = Bundle(root, t0)
	b := rep.Encryption
	if err != nil || len(b) != 1 || !b[0].Failed() || b[0].Stage != "" || roles(b[0]) != "key1=writes key2=reads" {
		t.Errorf("a configuration without kubeforge's comment: %v %+v", err, b)
	}
}

// roles returns a status's keys as "name=role", in order.
func roles(s pki.EncryptionStatus) string {
	var out []string
	for _, k := range s.Keys {
		out = append(out, k.Name+"="+k.Role)
	}
	return strings.Join(out, " ")
}

// noKeyBytes fails when the table or JSON of statuses holds a key of the store (its base64,
// or the start of it).
func noKeyBytes(t *testing.T, store *pki.Store, statuses []pki.EncryptionStatus) {
	t.Helper()
	var out bytes.Buffer
	if err := pki.WriteEncryptionTable(&out, statuses); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(statuses)
	out.Write(js)
	for rel, f := range store.Files {
		if strings.HasPrefix(rel, "encryption/") && strings.HasSuffix(rel, ".key") {
			secret := strings.TrimSpace(string(f.Data))
			if strings.Contains(out.String(), secret) || strings.Contains(out.String(), secret[:12]) {
				t.Errorf("the check prints the key of %s:\n%s", rel, out.String())
			}
		}
	}
}

// writeStore writes a store's content to a new directory, as a compile commits it.
func writeStore(t testing.TB, store *pki.Store) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pki")
	for rel, f := range store.Files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), pki.StoreDirMode); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, f.Mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
