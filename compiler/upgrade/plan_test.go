package upgrade

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
)

// haAt returns examples/ha.yaml (3 control-plane hosts, 3 workers) at the given version,
// with extra workers.
func haAt(t *testing.T, version string, extraWorkers int) Input {
	t.Helper()
	data, err := os.ReadFile("../../examples/ha.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "kubernetesVersion: v1.37.2", "kubernetesVersion: "+version, 1)
	for i := range extraWorkers {
		s += fmt.Sprintf("  - {name: x%d, addresses: [192.168.11.%d], roles: [worker]}\n", i+1, i+1)
	}
	return Input{Name: "../../examples/ha-test.yaml", Data: []byte(s)}
}

func version(t *testing.T, s string) compiler.Version {
	t.Helper()
	v, _, err := compiler.ParseVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// summary is "NAME TO HOSTS" of each stage.
func summary(p *Plan) []string {
	var out []string
	for _, s := range p.Stages {
		out = append(out, fmt.Sprintf("%s %s %s", s.Name, s.To, strings.Join(s.Hosts, ",")))
	}
	return out
}

// TestPlanOrder: control-plane hosts one at a time, the cluster bundle, then the workers in
// batches, by count and by percentage.
func TestPlanOrder(t *testing.T) {
	for _, tc := range []struct {
		batch string
		want  []string
	}{
		{"2", []string{
			"01-control-plane-cp1 v1.37.2 cp1", "02-control-plane-cp2 v1.37.2 cp2", "03-control-plane-cp3 v1.37.2 cp3",
			"04-addons v1.37.2 ", "05-workers-1.37-1 v1.37.2 w1,w2", "06-workers-1.37-2 v1.37.2 w3,x1",
			"07-workers-1.37-3 v1.37.2 x2,x3", "08-workers-1.37-4 v1.37.2 x4"}},
		{"50%", []string{
			"01-control-plane-cp1 v1.37.2 cp1", "02-control-plane-cp2 v1.37.2 cp2", "03-control-plane-cp3 v1.37.2 cp3",
			"04-addons v1.37.2 ", "05-workers-1.37-1 v1.37.2 w1,w2,w3,x1", "06-workers-1.37-2 v1.37.2 x2,x3,x4"}},
	} {
		b, err := ParseBatch(tc.batch)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Make(haAt(t, "v1.36.3", 4), version(t, "1.37"), b)
		if err != nil {
			t.Fatal(err)
		}
		if got := summary(p); !slices.Equal(got, tc.want) {
			t.Errorf("batch %s:\n%s\nwant\n%s", tc.batch, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
		// Every stage's hosts run what the stage says, the others what they ran before.
		for _, s := range p.Stages {
			for _, h := range s.Cluster.Hosts {
				if slices.Contains(s.Hosts, h.Name) && h.Version != s.To {
					t.Errorf("%s: %s runs %s", s.Name, h.Name, h.Version)
				}
			}
		}
	}
}

// TestPlanTwoMinors: 1.35 to 1.37 goes through 1.36's newest patch, every host twice.
func TestPlanTwoMinors(t *testing.T) {
	p, err := Make(haAt(t, `"1.35"`, 0), version(t, "1.37"), Batch{Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"01-control-plane-cp1 v1.36.3 cp1", "02-control-plane-cp2 v1.36.3 cp2", "03-control-plane-cp3 v1.36.3 cp3",
		"04-addons v1.36.3 ", "05-workers-1.36-1 v1.36.3 w1,w2,w3",
		"06-control-plane-cp1 v1.37.2 cp1", "07-control-plane-cp2 v1.37.2 cp2", "08-control-plane-cp3 v1.37.2 cp3",
		"09-addons v1.37.2 ", "10-workers-1.37-1 v1.37.2 w1,w2,w3"}
	if got := summary(p); !slices.Equal(got, want) {
		t.Errorf("stages:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestStagesCompileAndKeepTheFile: every stage passes the checks (Make compiles each), with
// no errors; the last one is the user's file with only kubernetesVersion changed, comments
// and order kept; the ones before carry per-host versions.
func TestStagesCompileAndKeepTheFile(t *testing.T) {
	in := haAt(t, "v1.36.3", 0)
	p, err := Make(in, version(t, "1.37"), DefaultBatch)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Stages {
		if s.Cluster == nil || s.Diagnostics.HasErrors() {
			t.Errorf("%s: %v", s.Name, s.Diagnostics)
		}
	}
	last := p.Stages[len(p.Stages)-1]
	want := strings.Replace(string(in.Data), "kubernetesVersion: v1.36.3", `kubernetesVersion: "v1.37.2"`, 1)
	if string(last.Description) != want {
		t.Errorf("last stage:\n%s\nwant the input with the new version:\n%s", last.Description, want)
	}
	if !strings.Contains(string(p.Stages[0].Description), `{name: cp1, kubernetesVersion: "v1.37.2", addresses:`) {
		t.Errorf("first stage:\n%s", p.Stages[0].Description)
	}
}

// TestGroupVersionsDropped: a group's kubernetesVersion gives way to per-host fields, and the
// last stage has none.
func TestGroupVersionsDropped(t *testing.T) {
	in := Input{Name: "g.yaml", Data: []byte(`apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: g
kubernetesVersion: "1.36"
groups:
  old: {kubernetesVersion: "1.35", labels: {a: b}}
hosts:
  - {name: cp1, addresses: [10.0.0.1], roles: [control-plane]}
  - {name: w1, addresses: [10.0.0.11], roles: [worker], group: old}
`)}
	p, err := Make(in, version(t, "1.36"), DefaultBatch)
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(p); !slices.Equal(got, []string{"01-workers-1.36-1 v1.36.3 w1"}) {
		t.Errorf("stages %v", got)
	}
	if d := string(p.Stages[0].Description); strings.Contains(d, "kubernetesVersion: \"1.35\"") || !strings.Contains(d, "old: {labels: {a: b}}") {
		t.Errorf("stage:\n%s", d)
	}
}

// TestPlanRefusals: a downgrade, an invalid description and a CUE file are refused with
// errors that say why.
func TestPlanRefusals(t *testing.T) {
	if _, err := Make(haAt(t, "v1.37.2", 0), version(t, "1.36"), DefaultBatch); err == nil || !strings.Contains(err.Error(), "not downgrades") {
		t.Errorf("downgrade: %v", err)
	}
	bad := haAt(t, "v1.36.3", 0)
	bad.Data = append(bad.Data, []byte("  - {name: cp1, addresses: [192.168.10.99], roles: [worker]}\n")...)
	err := func() error { _, err := Make(bad, version(t, "1.37"), DefaultBatch); return err }()
	if e, ok := err.(*Error); !ok || e.Stage != "" || !e.Diagnostics.HasErrors() {
		t.Errorf("invalid description: %v", err)
	}
	if _, err := Make(Input{Name: "c.cue", Data: []byte("name: x")}, version(t, "1.37"), DefaultBatch); err == nil || !strings.Contains(err.Error(), "YAML or JSON") {
		t.Errorf("CUE: %v", err)
	}
}

func TestParseBatch(t *testing.T) {
	for s, want := range map[string]int{"1": 1, "3": 3, "10%": 1, "50%": 5, "100%": 10, "33%": 4} {
		b, err := ParseBatch(s)
		if err != nil || b.Size(10) != want || b.String() != s {
			t.Errorf("%s: size %d of 10, %v", s, b.Size(10), err)
		}
	}
	for _, s := range []string{"0", "-1", "0%", "101%", "x", "", "1.5"} {
		if _, err := ParseBatch(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
