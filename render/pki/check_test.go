package pki

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler/compilertest"
)

func TestCheckStore(t *testing.T) {
	c := compilertest.Load(t, "ha.yaml")
	dir, _ := committedStore(t, c)
	now := t0.Add(24 * time.Hour)
	st, err := Check(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 3+3*13+3*2 {
		t.Fatalf("%d certificates, want 48", len(st))
	}
	byFile := map[string]CertStatus{}
	for _, s := range st {
		byFile[s.File] = s
	}
	ca, leaf := byFile["ca.crt"], byFile["hosts/w1/kubelet-client.crt"]
	if !ca.IsCA || ca.Residual != c.PKI.CAValidity-24*time.Hour || ca.Subject != "CN=kubernetes" {
		t.Errorf("ca.crt: %+v", ca)
	}
	if leaf.IsCA || leaf.Residual != c.PKI.CertValidity-24*time.Hour || leaf.Subject != "CN=system:node:w1,O=system:nodes" ||
		leaf.Issuer != "CN=kubernetes" || leaf.Expired {
		t.Errorf("kubelet-client: %+v", leaf)
	}

	var table bytes.Buffer
	if err := WriteTable(&table, st); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	if len(lines) != len(st)+1 || !strings.HasPrefix(lines[0], "CERTIFICATE") {
		t.Errorf("table:\n%s", table.String())
	}
	if !strings.Contains(table.String(), "hosts/w1/kubelet-client.crt") || !strings.Contains(table.String(), "364d") {
		t.Errorf("table lacks the kubelet certificate or its residual time:\n%s", table.String())
	}

	// After the certificates expire.
	st, _ = Check(dir, t0.Add(c.PKI.CertValidity+time.Hour))
	var js bytes.Buffer
	WriteJSON(&js, st)
	var decoded []map[string]any
	if err := json.Unmarshal(js.Bytes(), &decoded); err != nil {
		t.Fatal(err)
	}
	for _, d := range decoded {
		expired := d["isCA"] == false
		if d["expired"] != expired {
			t.Errorf("%v: expired %v, want %v", d["file"], d["expired"], expired)
		}
		if expired && d["residualSeconds"].(float64) != -3600 {
			t.Errorf("%v: residual %v", d["file"], d["residualSeconds"])
		}
	}
}

func TestCheckBundle(t *testing.T) {
	c, r := issuedExample(t, "dual-stack.yaml")
	root := t.TempDir()
	n := 0
	for _, h := range c.Hosts {
		arts := r.HostArtifacts(h)
		writeBundle(t, root, h, arts)
		for _, a := range arts {
			if isCertArtifact(a) {
				n++
			}
		}
	}
	st, err := Check(root, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != n {
		t.Errorf("%d certificates found, %d in the bundles", len(st), n)
	}
	found := false
	for _, s := range st {
		if s.File == "cp1/etc/kubernetes/admin.conf" && s.Subject == "CN=kubernetes-admin,O=kubeadm:cluster-admins" {
			found = true
		}
	}
	if !found {
		t.Error("admin.conf's client certificate not reported")
	}

	bad := filepath.Join(root, "w1", "broken.crt")
	os.WriteFile(bad, []byte("not a certificate"), 0o644)
	if _, err := Check(root, t0); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("broken certificate: %v", err)
	}
}
