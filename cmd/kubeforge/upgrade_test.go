package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// haAt writes examples/ha.yaml at version into a temporary directory.
func haAt(t *testing.T, version string) string {
	t.Helper()
	data, err := os.ReadFile("../../examples/ha.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "ha.yaml")
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), "v1.37.2", version, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestUpgradePlanJSON: the JSON report decodes into PlanReport, with the stages in order and
// the changes of each.
func TestUpgradePlanJSON(t *testing.T) {
	t.Parallel()
	r := kubeforge(t, "upgrade", "plan", haAt(t, "v1.36.3"), "--to", "1.37", "--batch", "2", "--output", "json")
	if r.code != exitOK {
		t.Fatal(r)
	}
	var rep PlanReport
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	var names []string
	for _, s := range rep.Stages {
		names = append(names, s.Name)
	}
	want := "01-control-plane-cp1 02-control-plane-cp2 03-control-plane-cp3 04-addons 05-workers-1.37-1 06-workers-1.37-2"
	if rep.From != "v1.36.3" || rep.To != "v1.37.2" || strings.Join(names, " ") != want {
		t.Errorf("report %+v", rep)
	}
	if s := rep.Stages[0]; len(s.Changes.Hosts) != 1 || len(s.Changes.Hosts[0].StaticPods) != 4 {
		t.Errorf("stage 1: %+v", s)
	}
}

// TestUpgradePlanText: the text lists each stage with its hosts' restarts.
func TestUpgradePlanText(t *testing.T) {
	t.Parallel()
	r := kubeforge(t, "upgrade", "plan", haAt(t, "v1.36.3"), "--to", "v1.37.2")
	if r.code != exitOK || !strings.Contains(r.stdout, "01-control-plane-cp1  cp1 to v1.37.2\n  cp1: install kubelet v1.37.2;") ||
		!strings.Contains(r.stdout, "static pods etcd, kube-apiserver, kube-controller-manager, kube-scheduler") {
		t.Error(r)
	}
}

// TestUpgradePlanWrite: --write leaves a description and bundles per stage.
func TestUpgradePlanWrite(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "stages")
	r := kubeforge(t, "upgrade", "plan", haAt(t, "v1.36.3"), "--to", "1.37", "--batch", "100%", "--write", dir)
	if r.code != exitOK {
		t.Fatal(r)
	}
	for _, p := range []string{"01-control-plane-cp1/description.yaml", "05-workers-1.37-1/bundles/w3", "05-workers-1.37-1/bundles/cluster"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(dir + ".pki"); err != nil {
		t.Errorf("the stages' store: %v", err)
	}
}

// TestUpgradePlanExitCodes: a --to kubeforge cannot read, a bad --batch or a CUE file is a
// usage error (2); a downgrade or an invalid description is a refusal of the description (1).
func TestUpgradePlanExitCodes(t *testing.T) {
	t.Parallel()
	ha := haAt(t, "v1.36.3")
	invalid := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(invalid, []byte("apiVersion: kubeforge.dev/v1alpha1\nkind: Cluster\nname: t\nhosts: []\n"), 0o644)
	stages := filepath.Join(t.TempDir(), "stages")
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{ha, "--to", "1.99"}, exitUsage, "not supported"},
		{[]string{ha, "--to", "latest"}, exitUsage, "--to"},
		{[]string{ha}, exitUsage, "to"},
		{[]string{ha, "--to", "1.37", "--batch", "0"}, exitUsage, "--batch"},
		{[]string{ha, "--to", "1.37", "--output", "yaml"}, exitUsage, "--output"},
		{[]string{"cluster.cue", "--to", "1.37"}, exitUsage, "YAML or JSON"},
		{[]string{filepath.Join(t.TempDir(), "missing.yaml"), "--to", "1.37"}, exitUsage, "missing.yaml"},
		{[]string{ha, "--to", "1.37", "--write", stages, "--pki-dir", filepath.Join(stages, "keys")}, exitUsage, "holds no key outside the bundles"},
		{[]string{ha, "--to", "1.35"}, exitInvalid, "not downgrades"},
		{[]string{invalid, "--to", "1.37"}, exitInvalid, "bad.yaml:4:1: error: the list is empty"},
	} {
		r := kubeforge(t, append([]string{"upgrade", "plan"}, tc.args...)...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.says) {
			t.Errorf("%v: want exit %d saying %q, got %s", tc.args, tc.code, tc.says, r)
		}
	}
	if _, err := os.Lstat(stages); !os.IsNotExist(err) {
		t.Errorf("a refused --write left %s (%v)", stages, err)
	}
}
