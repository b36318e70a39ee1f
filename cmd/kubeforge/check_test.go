package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/render/cis"
)

// checkedCluster is a cluster that sets what the description can for the benchmark and waives
// the two file modes kubeforge writes as kubeadm does.
const checkedCluster = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
apiServer:
  extraArgs:
    anonymous-auth: "false"
    enable-admission-plugins: NodeRestriction,EventRateLimit
    kubelet-certificate-authority: /etc/kubernetes/pki/ca.crt
    profiling: "false"
    tls-cipher-suites: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    service-account-extend-token-expiration: "false"
  encryptionAtRest: {provider: secretbox}
  audit: {maxAge: 30, maxBackup: 10, maxSize: 100}
controllerManager:
  extraArgs: {terminated-pod-gc-threshold: "1000", profiling: "false"}
scheduler:
  extraArgs: {profiling: "false"}
kubelet:
  extraArgs:
    tls-cipher-suites: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    pod-max-pids: "4096"
    seccomp-default: "true"
checks:
  waive:
    "1.2.3": "no Service here may have external IPs, and an admission webhook refuses them"
    "1.2.11": "images are pulled from a registry that authorizes each pull"
hosts:
  - {name: cp1, addresses: [192.168.0.11], roles: [control-plane]}
  - {name: w1, addresses: [192.168.0.21], roles: [worker]}
`

// TestCheckExitCodes: 0 when nothing fails unwaived, 1 on a failure or an invalid
// description (with its position), 2 on usage and I/O errors.
func TestCheckExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	waived := write("waived.yaml", checkedCluster)
	unwaived := write("unwaived.yaml", strings.Replace(checkedCluster, `    "1.2.11": "images are pulled from a registry that authorizes each pull"`+"\n", "", 1))
	typo := write("typo.yaml", strings.Replace(checkedCluster, `"1.2.11":`, `"1.2.99":`, 1))
	for _, tc := range []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
	}{
		{name: "waived", args: []string{waived}, code: exitOK, stdout: "WAIVED 1.2.11  Ensure that the admission control plugin AlwaysPullImages is set"},
		{name: "summary", args: []string{waived}, code: exitOK, stdout: "0 fail, 2 waived"},
		{name: "unwaived", args: []string{unwaived}, code: exitInvalid, stdout: "FAIL   1.2.11  Ensure that the admission control plugin AlwaysPullImages is set — cp1: /etc/kubernetes/manifests/kube-apiserver.yaml: --enable-admission-plugins=NodeRestriction,EventRateLimit does not include AlwaysPullImages"},
		{name: "hardened example", args: []string{"../../examples/hardened.yaml"}, code: exitOK, stdout: "0 fail, 0 waived"},
		{name: "field that fixes", args: []string{"../../examples/ha.yaml"}, code: exitInvalid, stdout: `(fix: apiServer.extraArgs["profiling"])`},
		{name: "embedded example", args: nil, code: exitInvalid, stderr: "using the embedded example"},
		{name: "unknown control", args: []string{typo}, code: exitInvalid, stderr: `typo.yaml:26:15: error: no benchmark control "1.2.99"`},
		{name: "missing file", args: []string{filepath.Join(dir, "nope.yaml")}, code: exitUsage, stderr: "cannot read"},
		{name: "no github output", args: []string{"--output", "github", waived}, code: exitUsage, stderr: "--output must be text, json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := kubeforge(t, append([]string{"check"}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stdout, tc.stdout) || !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("exit %d (want %d), want stdout %q and stderr %q:\n%s", r.code, tc.code, tc.stdout, tc.stderr, r)
			}
		})
	}
}

// TestCheckJSON: --output json prints the report alone, which decodes into cis.Report and
// holds no key, or for an invalid description the diagnostics as validate prints them.
func TestCheckJSON(t *testing.T) {
	t.Parallel()
	r := kubeforge(t, "check", "--output", "json", "../../examples/ha.yaml")
	if r.code != exitInvalid {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	var rep cis.Report
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if rep.Cluster != "prod" || rep.Summary.Fail == 0 || len(rep.Controls) != len(cis.Controls()) {
		t.Errorf("cluster %q, summary %+v, %d controls", rep.Cluster, rep.Summary, len(rep.Controls))
	}
	// The in-memory PKI check compiles stays there: no key reaches either stream.
	if untrusted.ContainsPrivateKey([]byte(r.stdout + r.stderr)) {
		t.Error("kubeforge check --output json printed a private key")
	}
	r = kubeforge(t, "check", "--output", "json", corpus+"hostile/waive-unknown-id.yaml")
	var ds []diag.Diagnostic
	if err := json.Unmarshal([]byte(r.stdout), &ds); err != nil || r.code != exitInvalid || len(ds) != 1 || ds[0].Code != diag.CodeUnknownControl {
		t.Errorf("exit %d, %v, diagnostics %+v", r.code, err, ds)
	}
}
