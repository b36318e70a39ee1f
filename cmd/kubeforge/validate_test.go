package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler/diag"
)

const corpus = "../../compiler/testdata/"

// TestValidateExitCodes runs `kubeforge validate` and checks the exit code and where the
// output goes: 0 valid (warnings allowed), 1 invalid, 2 usage or I/O error.
func TestValidateExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	unknownType := filepath.Join(dir, "cluster.toml")
	if err := os.WriteFile(unknownType, []byte("name = 't'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		args       []string
		code       int
		stdout     string // substring expected on stdout ("" for empty)
		stderr     string // substring expected on stderr ("" for empty)
		emptyError bool   // stderr must be empty
	}{
		{name: "valid", args: []string{"../../examples/ha.yaml"}, code: exitOK, stdout: "prod: valid (Kubernetes v1.37.2, 6 hosts)", emptyError: true},
		{name: "embedded example", args: nil, code: exitOK, stdout: "valid"},
		{name: "cue package", args: []string{"../../examples/large"}, code: exitOK, stdout: "503 hosts", emptyError: true},
		{name: "warnings only", args: []string{corpus + "valid/warn-even-etcd.yaml"}, code: exitOK,
			stdout: "valid", stderr: "warn-even-etcd.yaml:5:1: warning: even number of etcd members: 2"},
		{name: "invalid", args: []string{corpus + "invalid/max-pods-300.yaml"}, code: exitInvalid,
			stderr: "max-pods-300.yaml:7:12: error: maxPods 300 of host \"cp1\" does not fit its node CIDR"},
		{name: "syntax error", args: []string{corpus + "invalid/yaml-syntax.yaml"}, code: exitInvalid, stderr: "YAML syntax error"},
		{name: "several files", args: []string{corpus + "invalid/multi-file/cluster.yaml", corpus + "invalid/multi-file/hosts.yaml"}, code: exitInvalid,
			stderr: "conflicting values"},
		{name: "missing file", args: []string{filepath.Join(dir, "nope.yaml")}, code: exitUsage, stderr: "nope.yaml: error: cannot read: no such file or directory"},
		{name: "unknown file type", args: []string{unknownType}, code: exitUsage, stderr: "unknown file type"},
		{name: "unknown flag", args: []string{"--colour", "../../examples/ha.yaml"}, code: exitUsage, stderr: "unknown flag: --colour"},
		{name: "bad output format", args: []string{"--output", "xml", "../../examples/ha.yaml"}, code: exitUsage, stderr: "--output must be text, json, github, not \"xml\""},
		{name: "-o is compile's", args: []string{"-o", "json", "../../examples/ha.yaml"}, code: exitUsage, stderr: "-o is compile's --output-dir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := kubeforge(t, append([]string{"validate"}, tc.args...)...)
			if r.code != tc.code {
				t.Errorf("exit code %d, want %d\n%s", r.code, tc.code, r)
			}
			if tc.stdout == "" && r.stdout != "" || !strings.Contains(r.stdout, tc.stdout) {
				t.Errorf("stdout does not contain %q:\n%s", tc.stdout, r.stdout)
			}
			if !strings.Contains(r.stderr, tc.stderr) || tc.emptyError && r.stderr != "" {
				t.Errorf("stderr does not contain %q (or should be empty):\n%s", tc.stderr, r.stderr)
			}
		})
	}
}

// TestValidateText checks the text format on one invalid description: the summary with its
// position, the field, the detail, the quoted source line with a caret under the column, and
// the count.
func TestValidateText(t *testing.T) {
	r := kubeforge(t, "validate", corpus+"invalid/typo-nested.yaml")
	if r.code != exitInvalid {
		t.Fatalf("exit code %d", r.code)
	}
	want := corpus + `invalid/typo-nested.yaml:5:3: error: unknown field "serviceSubnet"
    field: networking.serviceSubnet
    did you mean "serviceSubnets"?
       5 |   serviceSubnet: [10.96.0.0/12]
         |   ^
1 error(s), 0 warning(s)
`
	if r.stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, want)
	}
	if r.stdout != "" {
		t.Errorf("stdout not empty:\n%s", r.stdout)
	}
}

// TestValidateJSON checks that --output json prints the diagnostics, and only them, as a JSON
// array on stdout, whatever the outcome.
func TestValidateJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path string
		code int
		want []diag.Diagnostic
	}{
		{corpus + "invalid/errors-and-warnings.yaml", exitInvalid, []diag.Diagnostic{
			{Severity: diag.Warning, Pos: diag.Position{File: corpus + "invalid/errors-and-warnings.yaml", Line: 5, Column: 18}, Path: "kubelet.anonymousAuth"},
			{Severity: diag.Error, Pos: diag.Position{File: corpus + "invalid/errors-and-warnings.yaml", Line: 6, Column: 17}, Path: "kubelet.cgroupDriver"},
			{Severity: diag.Warning, Pos: diag.Position{File: corpus + "invalid/errors-and-warnings.yaml", Line: 7, Column: 1}, Path: "hosts"},
			{Severity: diag.Error, Pos: diag.Position{File: corpus + "invalid/errors-and-warnings.yaml", Line: 9, Column: 44}, Path: "controlPlaneEndpoint"},
		}},
		{"../../examples/ha.yaml", exitOK, []diag.Diagnostic{}},
		{"missing.yaml", exitUsage, []diag.Diagnostic{{Severity: diag.Error, Pos: diag.Position{File: "missing.yaml"}}}},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			r := kubeforge(t, "validate", "--output", "json", tc.path)
			if r.code != tc.code {
				t.Errorf("exit code %d, want %d", r.code, tc.code)
			}
			if r.stderr != "" {
				t.Errorf("stderr not empty:\n%s", r.stderr)
			}
			var got []diag.Diagnostic
			dec := json.NewDecoder(strings.NewReader(r.stdout))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("stdout is not a JSON array of diagnostics: %v", err)
			}
			if got == nil || len(got) != len(tc.want) {
				t.Fatalf("got %d diagnostics, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Severity != w.Severity || g.Pos != w.Pos || g.Path != w.Path || g.Summary == "" {
					t.Errorf("diagnostic %d: got %+v, want severity %s at %s, path %q", i, g, w.Severity, w.Pos, w.Path)
				}
			}
		})
	}
}
