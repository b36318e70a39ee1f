package cis

import (
	"path/filepath"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render"
	"kubeforge.dev/kubeforge/render/pki"
)

// checkExample compiles an example as kubeforge check does (a fresh in-memory PKI) and
// returns its report.
func checkExample(t *testing.T, name string) *Report {
	t.Helper()
	path := filepath.Join(compilertest.ExamplesDir, name)
	c, _, ds := compiler.Load(path)
	if ds.HasErrors() {
		t.Fatalf("%s: %v", path, ds)
	}
	res, err := render.Compile(c, render.Options{PKI: &pki.Options{}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Check(c, res)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestHardenedExample: examples/hardened.yaml passes with no failure and no waiver, and
// examples/e2e.yaml, which the end-to-end suite boots, judges every control as it does but
// 1.2.11 (AlwaysPullImages), which it waives: the two cannot drift apart.
func TestHardenedExample(t *testing.T) {
	hardened := checkExample(t, "hardened.yaml")
	if s := hardened.Summary; s.Fail != 0 || s.Waived != 0 || len(hardened.UnusedWaivers) != 0 || s.Pass == 0 {
		t.Errorf("hardened.yaml: %+v, unused waivers %v; want no failure and no waiver", s, hardened.UnusedWaivers)
	}
	for _, c := range hardened.Controls {
		if c.Status == Fail || c.Status == Waived {
			t.Errorf("hardened.yaml: %s %s: %s", c.ID, c.Status, c.Detail)
		}
	}
	e2e := checkExample(t, "e2e.yaml")
	if s := e2e.Summary; s.Fail != 0 || s.Waived != 1 || len(e2e.UnusedWaivers) != 0 {
		t.Errorf("e2e.yaml: %+v, unused waivers %v; want no failure and one waiver", s, e2e.UnusedWaivers)
	}
	want := map[string]Status{}
	for _, c := range hardened.Controls {
		want[c.ID] = c.Status
	}
	want["1.2.11"] = Waived
	for _, c := range e2e.Controls {
		if c.Status != want[c.ID] {
			t.Errorf("e2e.yaml: %s is %s (%s), hardened.yaml's %s", c.ID, c.Status, c.Detail, want[c.ID])
		}
	}
}
