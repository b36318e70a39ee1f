package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"kubeforge.dev/kubeforge/render/pki"
)

// TestCompileReportOfKeptHosts: a re-compile that keeps unchanged hosts through the content
// index reports what a compile rendering every host from the same store reports: the same
// hosts in description order, file count and certificate events.
func TestCompileReportOfKeptHosts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, store := filepath.Join(dir, "out"), filepath.Join(dir, "out.pki")
	ha, err := os.ReadFile("../../examples/ha.yaml")
	if err != nil {
		t.Fatal(err)
	}
	desc := filepath.Join(dir, "cluster.yaml")
	// report compiles the description into output and returns its report, events in file
	// order (the PKI step reports them in the order it checks them, the index in file order).
	report := func(output, store string) compileReport {
		t.Helper()
		r := kubeforge(t, "compile", "--output", "json", "--pki-dir", store, "-o", output, desc)
		var rep compileReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != exitOK {
			t.Fatalf("(%v) %s", err, r)
		}
		rep.OutputDir = ""
		if rep.PKI != nil {
			rep.PKI.StoreDir = ""
			slices.SortFunc(rep.PKI.Events, func(a, b pki.Event) int { return strings.Compare(a.File, b.File) })
		}
		return rep
	}
	os.WriteFile(desc, ha, 0o644)
	report(out, store)
	for _, tc := range []struct{ name, from, to string }{
		{"unchanged", "", ""},
		{"one worker changed", "192.168.10.22", "192.168.10.32"},
	} {
		os.WriteFile(desc, []byte(strings.Replace(string(ha), tc.from, tc.to, 1)), 0o644)
		// The fresh compile, which renders every host (no index there), starts from a copy of
		// the store as it is before the re-compile.
		fresh := t.TempDir()
		if b, err := exec.Command("cp", "-a", store, filepath.Join(fresh, "out.pki")).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		kept := report(out, store)
		rendered := report(filepath.Join(fresh, "out"), filepath.Join(fresh, "out.pki"))
		if kept.PKI == nil || kept.PKI.Kept == 0 || len(kept.Hosts) != 6 {
			t.Fatalf("%s: the re-compile's report: %+v", tc.name, kept)
		}
		if d := cmp.Diff(rendered, kept, cmpopts.IgnoreUnexported(compileReport{})); d != "" {
			t.Errorf("%s: report of the re-compile keeping hosts (+) differs from one rendering them (-):\n%s", tc.name, d)
		}
	}
}
