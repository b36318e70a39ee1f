package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render"
	"kubeforge.dev/kubeforge/render/artifact"
)

// layeredTaints sets taints: [] on a layer: the control-plane host then has no taint at all,
// which an absent taints (kubeadm's NoSchedule default) would not give.
const layeredTaints = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
hostDefaults: {taints: []}
groups: {big: {kubelet: {maxPods: 200}, labels: {size: big}}}
sysctls: {net.core.somaxconn: 4096, vm.swappiness: "10"}
hosts:
  - {name: cp1, addresses: [192.168.0.11], roles: [control-plane]}
  - {name: w1, addresses: [192.168.0.21], roles: [worker], group: big, taints: []}
`

// TestDefaultsCompilesTheSame: `kubeforge defaults` of every example and valid corpus case
// validates, compiles to the same bundles as its input, and is its own defaults.
func TestDefaultsCompilesTheSame(t *testing.T) {
	t.Parallel()
	inputs, _ := filepath.Glob("../../examples/*.yaml")
	for _, pattern := range []string{"*.yaml", "*.json", "*.cue"} {
		m, _ := filepath.Glob(corpus + "valid/" + pattern)
		inputs = append(inputs, m...)
	}
	inputs = append(inputs, "../../examples/large", corpus+"valid/cue-package")
	layered := filepath.Join(t.TempDir(), "layered.yaml")
	os.WriteFile(layered, []byte(layeredTaints), 0o644)
	inputs = append(inputs, layered)

	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			r := kubeforge(t, "defaults", in)
			if r.code != exitOK || strings.Contains(r.stderr, ": error: ") {
				t.Fatalf("defaults: %s", r)
			}
			// The defaults go beside copies of the files the input names relative to itself
			// (CA files, policies).
			dir := t.TempDir()
			copySiblingFiles(t, in, dir)
			out := filepath.Join(dir, "defaults.yaml")
			os.WriteFile(out, []byte(r.stdout), 0o644)
			if v := kubeforge(t, "validate", out); v.code != exitOK {
				t.Fatalf("the defaults do not validate: %s\n%s", v, r.stdout)
			}
			if diff := cmp.Diff(compileNoPKI(t, in), compileNoPKI(t, out)); diff != "" {
				t.Errorf("the defaults compile differently (-input +defaults):\n%s\n%s", diff, r.stdout)
			}
			if again := kubeforge(t, "defaults", out); again.stdout != r.stdout {
				t.Errorf("defaults of the defaults differ:\n%s\n---\n%s", r.stdout, again.stdout)
			}
		})
	}
}

// TestDefaultsFillsIn: a minimal description comes out with the schema's defaults and the
// version it compiles as.
func TestDefaultsFillsIn(t *testing.T) {
	t.Parallel()
	r := kubeforgeIn(t, "", strings.NewReader("apiVersion: kubeforge.dev/v1alpha1\nkind: Cluster\nname: m\nkubernetesVersion: \"1.36\"\nhosts: [{name: a, addresses: [10.1.0.1], roles: [control-plane]}]\n"), "defaults", "-")
	for _, want := range []string{
		"# Cluster m with every default filled in by `kubeforge defaults`.\n",
		"kubernetesVersion: \"1.36\" # compiles as " + newestPatch(36).String() + "\n",
		"  serviceSubnets: [10.96.0.0/12]\n",
		"  maxPods: 110\n",
		"  keyAlgorithm: ECDSA-P256\n",
		"  - name: a\n    addresses: [10.1.0.1]\n    roles: [control-plane]\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in\n%s", want, r.stdout)
		}
	}
	if r.code != exitOK || r.stderr != "" {
		t.Errorf("%s", r)
	}
	if r := kubeforge(t, "defaults", corpus+"invalid/max-pods-300.yaml"); r.code != exitInvalid || r.stdout != "" || !strings.Contains(r.stderr, "max-pods-300.yaml:7:12") {
		t.Errorf("invalid: %s", r)
	}
}

// compileNoPKI returns the bundles of a description, without PKI: paths, modes, contents and
// provenance.
func compileNoPKI(t *testing.T, path string) map[string][]artifact.Artifact {
	t.Helper()
	c, _, ds := compiler.Load(path)
	if ds.HasErrors() {
		t.Fatalf("%s: %v", path, ds)
	}
	res, err := render.Compile(c, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]artifact.Artifact{}
	for _, b := range append(res.Hosts, *res.Cluster) {
		out[b.Name] = b.Artifacts
	}
	return out
}

// copySiblingFiles copies the regular files beside in (in's own folder when in is one) into
// dir.
func copySiblingFiles(t *testing.T, in, dir string) {
	t.Helper()
	src := filepath.Dir(in)
	if fi, err := os.Stat(in); err == nil && fi.IsDir() {
		src = in
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
