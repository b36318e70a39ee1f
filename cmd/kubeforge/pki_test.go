package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/emit/pkistore"
	"kubeforge.dev/kubeforge/render/pki"
)

// pkiStore commits the single-node example's PKI, issued at the given time, to a new store.
func pkiStore(t *testing.T, now time.Time) string {
	t.Helper()
	c, _, diags := compiler.Load("../../examples/single-node.yaml")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	dir := filepath.Join(t.TempDir(), "pki")
	r, err := pki.Issue(c, pki.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	store, err := pkistore.Open(dir, pkistore.Write, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Commit(r.Store()); err != nil {
		t.Fatal(err)
	}
	return dir
}

// pkiCheck runs pki check's options as the command would, returning the exit code.
func pkiCheck(o *PKICheckOptions) int {
	return exitCode(NewCmdPKICheck(o.Streams), runE(o)(nil, nil), o.ErrOut)
}

func TestPKICheck(t *testing.T) {
	dir := pkiStore(t, time.Now())
	s, out, errb := buffers()
	if code := pkiCheck(&PKICheckOptions{StoreDir: dir, Report: ReportOptions{Output: outputText, formats: []string{outputText}}, Streams: s}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.HasPrefix(out.String(), "CERTIFICATE") || !strings.Contains(out.String(), "hosts/lab1/apiserver.crt") ||
		!strings.Contains(out.String(), "9y") {
		t.Errorf("table:\n%s", out.String())
	}

	r := kubeforge(t, "pki", "check", "--pki-dir", dir, "--output", "json")
	if r.code != exitOK {
		t.Fatalf("%s", r)
	}
	var st struct {
		Certificates []map[string]any `json:"certificates"`
		Encryption   []map[string]any `json:"encryption"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || len(st.Certificates) != 3+13 || st.Encryption == nil || len(st.Encryption) != 0 {
		t.Errorf("json (%v): %d certificates, encryption %v\n%s", err, len(st.Certificates), st.Encryption, r.stdout)
	}
}

// rotationStore compiles a description encrypting with each key list in turn into one store,
// as successive compiles would, and returns the store's directory.
func rotationStore(t *testing.T, keyLists ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pki")
	for _, keys := range keyLists {
		c, _, diags := compiler.LoadBytes("cluster.yaml", []byte(`apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
apiServer:
  encryptionAtRest:
    keys: `+keys+`
hosts:
  - {name: cp1, addresses: [192.168.0.11], roles: [control-plane]}
`))
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		store, err := pkistore.Open(dir, pkistore.Write, nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := pki.Issue(c, pki.Options{Store: store.Content()})
		if err == nil {
			err = store.Commit(r.Store())
		}
		store.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestPKICheckEncryption: pki check shows a store's encryption keys by fingerprint with the
// rotation stage the last compile recorded, in text and JSON, and never a key.
func TestPKICheckEncryption(t *testing.T) {
	for _, tc := range []struct {
		keys  []string
		stage compiler.RotationStage
		rows  []string
	}{
		{[]string{"[{name: key1}]", "[{name: key1}, {name: key2}]"}, compiler.StageNewKeyReading, []string{"key1 .* writes", "key2 .* reads"}},
		{[]string{"[{name: key1}]", "[{name: key1}, {name: key2}]", "[{name: key2}, {name: key1}]"}, compiler.StageNewKeyWriting, []string{"key2 .* writes", "key1 .* reads"}},
		{[]string{"[{name: key1}]", "[{name: key1}, {name: key2}]", "[{name: key2}, {name: key1}]", "[{name: key2}]"}, compiler.StageSingleKey,
			[]string{"key2 .* writes", "key1 .* stale: no longer listed, can be deleted"}},
	} {
		dir := rotationStore(t, tc.keys...)
		r := kubeforge(t, "pki", "check", "--pki-dir", dir)
		if r.code != exitOK || !strings.Contains(r.stdout, "ENCRYPTION AT REST encryption/: "+string(tc.stage)+" (from the store's record of the last compile)") {
			t.Errorf("after %s: %s", tc.keys[len(tc.keys)-1], r)
		}
		for _, row := range tc.rows {
			if !regexp.MustCompile(`(?m)^` + row + `\s+ok$`).MatchString(r.stdout) {
				t.Errorf("after %s: no row %q:\n%s", tc.keys[len(tc.keys)-1], row, r.stdout)
			}
		}
		text := r
		r = kubeforge(t, "pki", "check", "--pki-dir", dir, "--output", "json")
		var st struct {
			Encryption []pki.EncryptionStatus `json:"encryption"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || r.code != exitOK || len(st.Encryption) != 1 || st.Encryption[0].Stage != tc.stage {
			t.Errorf("json (%v): %s", err, r)
		}
		for _, name := range []string{"key1", "key2"} {
			key, err := os.ReadFile(filepath.Join(dir, "encryption", name+".key"))
			if err != nil {
				t.Fatal(err)
			}
			secret := strings.TrimSpace(string(key))
			for _, out := range []string{text.stdout, text.stderr, r.stdout, r.stderr} {
				if strings.Contains(out, secret[:16]) {
					t.Errorf("pki check prints %s", name)
				}
			}
		}
	}
}

func TestPKICheckExpired(t *testing.T) {
	dir := pkiStore(t, time.Now().Add(-2*365*24*time.Hour))
	s, out, _ := buffers()
	if code := pkiCheck(&PKICheckOptions{StoreDir: dir, Report: ReportOptions{Output: outputText, formats: []string{outputText}}, Streams: s}); code != exitInvalid {
		t.Fatalf("exit %d, want %d", code, exitInvalid)
	}
	if !strings.Contains(out.String(), "<expired>") {
		t.Errorf("table:\n%s", out.String())
	}
}

func TestPKIUsage(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"renew"},
		{"check"},
		{"check", "--pki-dir", "a", "--bundle", "b"},
		{"check", "--pki-dir", "a", "extra"},
		{"check", "--pki-dir", "a", "-o", "yaml"},
		{"check", "--pki-dir", "a", "--output", "yaml"},
		{"check", "--pki-dir", filepath.Join(t.TempDir(), "missing")},
	} {
		r := kubeforge(t, append([]string{"pki"}, args...)...)
		if r.code != exitUsage || r.stderr == "" || r.stdout != "" {
			t.Errorf("%q: %s", args, r)
		}
	}
}
