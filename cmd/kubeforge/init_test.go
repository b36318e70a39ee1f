package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitValidates: what init prints validates without errors, for clusters of several
// shapes, and says what the flags asked.
func TestInitValidates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want []string // in the description
	}{
		{nil, []string{`name: "example"`, `kubernetesVersion: "` + latestKubernetes() + `"`, "  - {name: cp1,", "  - {name: w2,"}},
		{[]string{"--control-planes", "3", "--workers", "5", "--name", "prod"}, []string{`controlPlaneEndpoint: "api.prod.example.com:6443"`, "  - {name: cp3,", "  - {name: w5,"}},
		{[]string{"--control-planes", "3", "--workers", "0", "--endpoint", "10.0.0.5"}, []string{`controlPlaneEndpoint: "10.0.0.5"`}},
		{[]string{"--runtime", "cri-o", "--kubernetes-version", "1.35"}, []string{`kind: "cri-o"`, `kubernetesVersion: "1.35"`}},
		{[]string{"--runtime", "cri-dockerd", "--pod-subnet", "10.32.0.0/12", "--workers", "300"}, []string{`podSubnets: ["10.32.0.0/12"]`, "  - {name: w300,"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := kubeforge(t, append([]string{"init"}, tc.args...)...)
			if r.code != exitOK || r.stderr != "" {
				t.Fatalf("init: %s", r)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("no %q in\n%s", w, r.stdout)
				}
			}
			path := filepath.Join(t.TempDir(), "cluster.yaml")
			os.WriteFile(path, []byte(r.stdout), 0o644)
			if v := kubeforge(t, "validate", path); v.code != exitOK || v.stderr != "" {
				t.Errorf("validate: %s\n%s", v, r.stdout)
			}
		})
	}
}

// TestInitRefuses: a value kubeforge refuses is reported against its flag, and nothing is
// printed to redirect into a file.
func TestInitRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--name", "Prod_1"}, "kubeforge init: --name: invalid value"},
		{[]string{"--kubernetes-version", "1.30"}, "kubeforge init: --kubernetes-version:"},
		{[]string{"--runtime", "docker"}, "kubeforge init: --runtime:"},
		{[]string{"--pod-subnet", "10.0.0.0/33"}, "kubeforge init: --pod-subnet:"},
		{[]string{"--workers", "400"}, "kubeforge init: --pod-subnet: pod subnet too small"},
		{[]string{"--pod-subnet", "fd00:10::/56"}, "kubeforge init: --pod-subnet: primary service network 10.96.0.0/12 is not of the family"},
		{[]string{"--endpoint", "https://lb:6443"}, "kubeforge init: --endpoint:"},
		{[]string{"--name", "a\"\nkind: Other"}, "kubeforge init: --name: invalid value"},
	} {
		r := kubeforge(t, append([]string{"init"}, tc.args...)...)
		if r.code != exitInvalid || r.stdout != "" || !strings.HasPrefix(r.stderr, tc.want) {
			t.Errorf("init %q: want exit 1 and %q\n%s", tc.args, tc.want, r)
		}
	}
}
