package main

import (
	"encoding/json"
	"path/filepath"
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
	var st []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || len(st) != 3+13 {
		t.Errorf("json (%v): %d certificates\n%s", err, len(st), r.stdout)
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
