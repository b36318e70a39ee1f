package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rotationDesc is the description the rotation tests compile (the README's example).
const rotationDesc = "../../examples/ha.yaml"

// outputFiles returns every file of a compile output's bundles as "bundle:/path" -> content
// (the manifests beside the bundles left out).
func outputFiles(t *testing.T, out string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		bundle, path, ok := strings.Cut(filepath.ToSlash(rel), "/")
		if !ok {
			return nil
		}
		data, err := os.ReadFile(p)
		files[bundle+":/"+path] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// changedBetween returns "bundle:/path" of every file added, removed or changed between two
// compile outputs, sorted.
func changedBetween(t *testing.T, a, b string) []string {
	t.Helper()
	fa, fb := outputFiles(t, a), outputFiles(t, b)
	var out []string
	for k, v := range fb {
		if old, ok := fa[k]; !ok || !bytes.Equal(old, v) {
			out = append(out, k)
		}
	}
	for k := range fa {
		if _, ok := fb[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// diffNames runs kubeforge diff --output json against an output and returns "bundle:/path"
// of every change it names, sorted.
func diffNames(t *testing.T, store, against string) ([]string, result) {
	t.Helper()
	r := kubeforge(t, "diff", rotationDesc, "--against", against, "--pki-dir", store, "--output", "json")
	if r.code != exitInvalid {
		t.Fatalf("diff against %s: want exit %d (differences)\n%s", against, exitInvalid, r)
	}
	var rep struct {
		Changes []struct{ Bundle, Path, Kind string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("diff --output json: %v\n%s", err, r.stdout)
	}
	var out []string
	for _, c := range rep.Changes {
		out = append(out, c.Bundle+":"+c.Path)
	}
	slices.Sort(out)
	return out, r
}

// rotationStatus returns the rotation column of pki check's JSON rows, by certificate.
func rotationStatus(t *testing.T, store string) (map[string]string, result) {
	t.Helper()
	r := kubeforge(t, "pki", "check", "--pki-dir", store, "--output", "json")
	if r.code != exitOK {
		t.Fatalf("pki check --output json: %s", r)
	}
	var report struct {
		Certificates []struct{ File, Rotation string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &report); err != nil {
		t.Fatalf("pki check --output json: %v\n%s", err, r.stdout)
	}
	out := map[string]string{}
	for _, row := range report.Certificates {
		out[row.File] = row.Rotation
	}
	return out, r
}

// storeSnapshot returns every file of a store with its mode and content.
func storeSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		var data []byte
		if d.Type().IsRegular() {
			if data, err = os.ReadFile(p); err != nil {
				return err
			}
		}
		out[p] = fmt.Sprintf("%v %x", fi.Mode(), data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPKIRotateCA runs a rotation of the cluster CA through the command tree as the README
// tells an operator to: each step on the store of a compile, then a compile. pki check names
// the stage; kubeforge diff between consecutive outputs names exactly the files that differ;
// no command prints a line of any key the store held at any stage.
func TestPKIRotateCA(t *testing.T) {
	dir := t.TempDir()
	out := func(stage int) string { return filepath.Join(dir, fmt.Sprintf("stage%d", stage)) }
	store := out(0) + ".pki"
	var runs []result
	run := func(want int, args ...string) result {
		t.Helper()
		r := kubeforge(t, args...)
		if r.code != want {
			t.Fatalf("kubeforge %s: want exit %d\n%s", strings.Join(args, " "), want, r)
		}
		runs = append(runs, r)
		return r
	}
	secrets := map[string]string{}
	run(exitOK, "compile", "-o", out(0), rotationDesc)
	maps.Copy(secrets, keyLines(t, store))
	// The scan below is armed: a line of the CA key a rotation retires is among what it
	// looks for (main's streams scrub keys too; this proves none gets past them).
	caKey, err := os.ReadFile(filepath.Join(store, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(slices.Collect(maps.Keys(secrets)), func(l string) bool { return strings.Contains(string(caKey), l) }) {
		t.Fatal("no line of ca.key is scanned for")
	}
	if st, r := rotationStatus(t, store); st["ca.crt"] != "" {
		t.Errorf("a fresh store is in a rotation: %q", st["ca.crt"])
	} else {
		runs = append(runs, r)
	}

	for i, tc := range []struct {
		step      string
		announce  string
		rotation  map[string]string // pki check's rotation column, by certificate
		changes   []string          // files the stage must change (a sample)
		unchanged []string          // files it must not
	}{
		{"start", "now at stage 1 trust-both",
			map[string]string{"ca.crt": "stage 1 trust-both: outgoing, signs", "ca.next.crt": "stage 1 trust-both: incoming, trusted", "front-proxy-ca.crt": ""},
			[]string{"cp1:/etc/kubernetes/pki/ca.crt", "cp1:/etc/kubernetes/pki/ca-signing.crt", "w1:/etc/kubernetes/kubelet.conf",
				"cp1:/etc/kubernetes/manifests/kube-controller-manager.yaml", "cluster:/10-config/6-configmap-kubeadm-config.yaml",
				"cluster:/10-config/6-configmap-cluster-info.yaml"},
			[]string{"cp1:/etc/kubernetes/pki/apiserver.crt", "cp1:/etc/kubernetes/pki/ca.key", "cp1:/etc/kubernetes/pki/front-proxy-ca.crt"}},
		{"advance", "now at stage 2 issue-new",
			map[string]string{"ca.crt": "stage 2 issue-new: incoming, signs", "ca.prev.crt": "stage 2 issue-new: outgoing, trusted"},
			[]string{"cp1:/etc/kubernetes/pki/apiserver.crt", "cp1:/etc/kubernetes/pki/ca.key", "cp1:/etc/kubernetes/pki/ca-signing.crt",
				"w1:/etc/kubernetes/kubelet.conf", "w1:/var/lib/kubelet/pki/kubelet.crt"},
			[]string{"cp1:/etc/kubernetes/pki/ca.crt", "w1:/etc/kubernetes/pki/ca.crt", "cluster:/10-config/6-configmap-cluster-info.yaml",
				"cp1:/etc/kubernetes/pki/front-proxy-client.crt"}},
		{"finish", "now at stage none",
			map[string]string{"ca.crt": ""},
			[]string{"cp1:/etc/kubernetes/pki/ca.crt", "cp1:/etc/kubernetes/pki/ca-signing.crt", "w1:/etc/kubernetes/pki/ca.crt",
				"cluster:/10-config/6-configmap-kubeadm-config.yaml"},
			[]string{"cp1:/etc/kubernetes/pki/apiserver.crt", "cp1:/etc/kubernetes/pki/ca.key"}},
	} {
		stage := i + 1
		r := run(exitOK, "pki", "rotate-ca", tc.step, "--ca", "ca", "--pki-dir", store, rotationDesc)
		if !strings.Contains(r.stdout, tc.announce) {
			t.Errorf("rotate-ca %s says %q, want %q", tc.step, r.stdout, tc.announce)
		}
		maps.Copy(secrets, keyLines(t, store))
		run(exitOK, "compile", "-o", out(stage), "--pki-dir", store, rotationDesc)
		maps.Copy(secrets, keyLines(t, store))

		st, r := rotationStatus(t, store)
		runs = append(runs, r)
		for cert, want := range tc.rotation {
			if st[cert] != want {
				t.Errorf("after %s: pki check --output json: %s rotation %q, want %q", tc.step, cert, st[cert], want)
			}
		}
		text := run(exitOK, "pki", "check", "--pki-dir", store)
		for cert, want := range tc.rotation {
			if want != "" && !strings.Contains(text.stdout, "(rotation "+want+")") {
				t.Errorf("after %s: pki check's table does not say %s is %q:\n%s", tc.step, cert, want, text.stdout)
			}
		}
		if tc.step == "finish" && strings.Contains(text.stdout, "rotation") {
			t.Errorf("after finish pki check still shows a rotation:\n%s", text.stdout)
		}

		want := changedBetween(t, out(stage-1), out(stage))
		got, r := diffNames(t, store, out(stage-1))
		runs = append(runs, r)
		if !slices.Equal(got, want) {
			t.Errorf("after %s: diff names %d files, the outputs differ in %d\nnamed, not different: %v\ndifferent, not named: %v",
				tc.step, len(got), len(want), minus(got, want), minus(want, got))
		}
		for _, f := range tc.changes {
			if !slices.Contains(got, f) {
				t.Errorf("after %s: diff does not name %s", tc.step, f)
			}
		}
		for _, f := range tc.unchanged {
			if slices.Contains(got, f) {
				t.Errorf("after %s: diff names %s, which the stage must leave as it is", tc.step, f)
			}
		}
		runs = append(runs, run(exitInvalid, "diff", rotationDesc, "--against", out(stage-1), "--pki-dir", store, "--name-only"))
		t.Logf("stage %d (%s): %d files change", stage, tc.step, len(got))
	}
	if _, err := os.Stat(filepath.Join(store, "ca.prev.key")); !os.IsNotExist(err) {
		t.Errorf("the outgoing CA's key is still in the store after finish: %v", err)
	}
	assertNoKeyPrinted(t, secrets, runs)
}

// minus returns the elements of a not in b.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// assertNoKeyPrinted fails for every output stream that holds a line of a key.
func assertNoKeyPrinted(t *testing.T, secrets map[string]string, runs []result) {
	t.Helper()
	if len(runs) == 0 || len(secrets) == 0 {
		t.Fatal("nothing to scan")
	}
	for _, r := range runs {
		for line, file := range secrets {
			if strings.Contains(r.stdout, line) || strings.Contains(r.stderr, line) {
				t.Errorf("an output holds a line of %s (%.24s...):\n%s", file, line, r)
			}
		}
	}
}

// TestPKIRotateCAOutOfOrder: a step that does not follow the store's stage exits 1 with a
// message naming the stage and the step's, and leaves the store byte for byte as it was; a
// usage error exits 2 and leaves it as well.
func TestPKIRotateCAOutOfOrder(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "out.pki")
	if r := kubeforge(t, "compile", "-o", filepath.Join(dir, "out"), rotationDesc); r.code != exitOK {
		t.Fatal(r)
	}
	secrets := keyLines(t, store)
	rotate := func(step string, extra ...string) []string {
		return append([]string{"pki", "rotate-ca", step, "--pki-dir", store}, append(extra, rotationDesc)...)
	}
	var runs []result
	for _, tc := range []struct {
		name   string
		before []string // the steps that bring the store to its stage
		args   []string
		code   int
		says   []string
	}{
		{"advance before start", nil, rotate("advance", "--ca", "ca"), exitInvalid,
			[]string{"advance of ca", "at stage none", "follows stage 1 trust-both"}},
		{"finish at stage none", nil, rotate("finish", "--ca", "ca"), exitInvalid,
			[]string{"finish of ca", "at stage none", "follows stage 2 issue-new"}},
		{"start twice", []string{"start"}, rotate("start", "--ca", "ca"), exitInvalid,
			[]string{"start of ca", "at stage 1 trust-both", "follows stage none"}},
		{"finish at stage 1", nil, rotate("finish", "--ca", "ca"), exitInvalid,
			[]string{"finish of ca", "at stage 1 trust-both"}},
		{"advance twice", []string{"advance"}, rotate("advance", "--ca", "ca"), exitInvalid,
			[]string{"advance of ca", "at stage 2 issue-new"}},
		{"unknown --ca", nil, rotate("advance", "--ca", "root"), exitUsage, []string{"--ca must be one of ca, "}},
		{"no --ca", nil, rotate("start"), exitUsage, []string{"--ca must be one of"}},
		{"missing --pki-dir", nil, []string{"pki", "rotate-ca", "finish", "--ca", "ca", rotationDesc}, exitUsage, []string{"--pki-dir is required"}},
		{"unknown step", nil, rotate("rollback", "--ca", "ca"), exitUsage, []string{`unknown step "rollback"`}},
		{"no description", nil, []string{"pki", "rotate-ca", "finish", "--ca", "ca", "--pki-dir", store}, exitUsage, []string{"FILE..."}},
	} {
		for _, step := range tc.before {
			if r := kubeforge(t, rotate(step, "--ca", "ca")...); r.code != exitOK {
				t.Fatalf("%s: %s: %s", tc.name, step, r)
			}
			maps.Copy(secrets, keyLines(t, store))
		}
		before := storeSnapshot(t, store)
		r := kubeforge(t, tc.args...)
		runs = append(runs, r)
		if r.code != tc.code {
			t.Errorf("%s: want exit %d\n%s", tc.name, tc.code, r)
		}
		for _, s := range tc.says {
			if !strings.Contains(r.stderr, s) {
				t.Errorf("%s: the message does not say %q:\n%s", tc.name, s, r.stderr)
			}
		}
		if after := storeSnapshot(t, store); !maps.Equal(before, after) {
			t.Errorf("%s: the store changed", tc.name)
		}
	}
	assertNoKeyPrinted(t, secrets, runs)
}
