package compiler

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The image GC thresholds the check assumes where the description sets none are the kubelet's
// own defaults, as k8s.io/kubelet (the module kubeforge writes config.yaml with) documents them.
func TestImageGCDefaultsAreTheKubelets(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/kubelet").Output()
	if err != nil {
		t.Fatalf("go list k8s.io/kubelet: %v", err)
	}
	types, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "config", "v1beta1", "types.go"))
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]int{
		"ImageGCHighThresholdPercent": kubeletImageGCHighPercent,
		"ImageGCLowThresholdPercent":  kubeletImageGCLowPercent,
	} {
		// The field's doc comment ends in "// Default: N" just before the field.
		m := regexp.MustCompile(`// Default: (\d+)\n(?:\s*//[^\n]*\n)*?\s*` + field + ` `).FindSubmatch(types)
		if m == nil {
			t.Errorf("k8s.io/kubelet documents no default of %s", field)
			continue
		}
		if got, _ := strconv.Atoi(string(m[1])); got != want {
			t.Errorf("%s: the kubelet's default is %d, kubeforge assumes %d", field, got, want)
		}
	}
}

// The schema's default kubelet.clientCAFile is where kubeforge writes the cluster CA, so a
// kubelet left at the default trusts the CA that signs the apiserver's client certificates.
func TestClientCAFileDefaultIsTheCAPath(t *testing.T) {
	src := "apiVersion: kubeforge.dev/v1alpha1\nkind: Cluster\nname: t\nhosts: [{name: cp, addresses: [10.0.0.1], roles: [control-plane]}]\n"
	c, _, diags := LoadBytes("t.yaml", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if c.Kubelet.ClientCAFile != CACertPath {
		t.Errorf("schema's default kubelet.clientCAFile %q, the CA is written to %s", c.Kubelet.ClientCAFile, CACertPath)
	}
}
