package emit

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
)

// changedPaths diffs a compile of c against dir and returns "bundle:path kind" per change, and
// the changes.
func changedPaths(t *testing.T, c *compiler.Cluster, dir string, o CompileOptions) ([]string, []Change) {
	t.Helper()
	o.Output = dir
	res, err := Preview(c, o)
	if err != nil {
		t.Fatal(err)
	}
	bundles := res.Hosts
	if res.Cluster != nil {
		bundles = append(bundles, *res.Cluster)
	}
	changes, err := DiffWithOptions(dir, bundles, DiffOptions{Reasons: res.WouldChange})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ch := range changes {
		out = append(out, ch.Bundle+":"+ch.Path+" "+string(ch.Kind))
	}
	return out, changes
}

// TestDiffWithoutStore compiles a golden tree with --redact-secrets and compares edited
// descriptions against it twice: with the PKI store, and without it (CI, no CA key). Both name
// exactly the same files; without the store, a certificate that would be re-issued says why,
// and no key material is shown.
func TestDiffWithoutStore(t *testing.T) {
	dir := t.TempDir()
	golden, store := filepath.Join(dir, "golden"), filepath.Join(dir, "keys.pki")
	text, err := os.ReadFile(filepath.Join(compilertest.ExamplesDir, "ha.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := compilertest.LoadYAML(t, string(text))
	if _, err := Compile(c, CompileOptions{Output: golden, StoreDir: store, Redact: true}); err != nil {
		t.Fatal(err)
	}
	edits := []struct {
		name, old, new string
		// want are files that must be among the changes without the store, with the reason.
		reissued []string
	}{
		{"unchanged", "", "", nil},
		{"worker address", "{name: w2, addresses: [192.168.10.22]", "{name: w2, addresses: [192.168.10.32]",
			[]string{"w2:/var/lib/kubelet/pki/kubelet.crt", "w2:/var/lib/kubelet/pki/kubelet.key"}},
		{"endpoint", "api.prod.example.com:6443", "api2.prod.example.com:6443",
			[]string{"cp1:/etc/kubernetes/pki/apiserver.crt", "cp3:/etc/kubernetes/pki/apiserver.key"}},
		{"max pods", "maxPods: 250", "maxPods: 200", nil},
		{"new worker", "  - name: w3\n", "  - {name: w4, addresses: [192.168.10.24], roles: [worker]}\n  - name: w3\n", nil},
		{"cert validity", "kubernetesVersion: v1.37.2\n", "kubernetesVersion: v1.37.2\npki: {certValidity: 4380h}\n", nil},
	}
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			edited := string(text)
			if e.old != "" {
				if !strings.Contains(edited, e.old) {
					t.Fatalf("%q not in the example", e.old)
				}
				edited = strings.Replace(edited, e.old, e.new, 1)
			}
			c := compilertest.LoadYAML(t, edited)
			withStore, _ := changedPaths(t, c, golden, CompileOptions{StoreDir: store})
			without, changes := changedPaths(t, c, golden, CompileOptions{NoPKIStore: true})
			if !slices.Equal(withStore, without) {
				t.Errorf("with the store:\n  %s\nwithout:\n  %s", strings.Join(withStore, "\n  "), strings.Join(without, "\n  "))
			}
			if e.old == "" && len(without) != 0 {
				t.Errorf("an unchanged description differs: %v", without)
			}
			for _, want := range e.reissued {
				i := slices.IndexFunc(changes, func(ch Change) bool { return ch.Bundle+":"+ch.Path == want })
				if i < 0 || !strings.Contains(changes[i].Detail, "would re-issue it: SANs") {
					t.Errorf("%s: not reported as re-issued with its reason (%v)", want, i >= 0 && changes[i].Detail != "")
				}
			}
			for _, ch := range changes {
				if strings.Contains(ch.Detail, "PRIVATE KEY") || strings.Contains(ch.Detail, "client-key-data: LS0t") {
					t.Errorf("%s: key material in the detail:\n%s", ch, ch.Detail)
				}
			}
		})
	}
	// Missing: the default store beside the golden tree does not exist, so a plain Preview
	// compares without it, and says so.
	var notes []string
	res, err := Preview(c, CompileOptions{Output: golden, Notes: func(s string) { notes = append(notes, s) }})
	if err != nil || res.WouldChange == nil || len(notes) != 1 || !strings.Contains(notes[0], "no PKI store") {
		t.Errorf("missing default store: %v, notes %q", err, notes)
	}
	// A store named but missing is an error.
	if _, err := Preview(c, CompileOptions{Output: golden, StoreDir: filepath.Join(dir, "nowhere")}); err == nil || StepOf(err) != StepSetup {
		t.Errorf("a named store that is missing: %v", err)
	}
}
