package pki

import (
	"bytes"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
)

const externalEtcdYAML = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: ext
controlPlaneEndpoint: api.ext.example.com
etcd:
  topology: external
  external:
    endpoints: [https://10.0.9.1:2379]
    caFile: etcd/ca.crt
    certFile: etcd/client.crt
    keyFile: etcd/client.key
hosts:
  - {name: cp1, addresses: [10.0.0.11], roles: [control-plane]}
  - {name: w1, addresses: [10.0.0.21], roles: [worker]}
`

// writeExternalEtcd writes a description using an external etcd and the user's etcd CA and
// client files beside it; it returns the description's path and the files by name.
func writeExternalEtcd(t *testing.T) (string, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := newKey(compiler.ECDSAP256)
	serial := big.NewInt(1)
	v := newValidity(t0, 1000*24*time.Hour)
	caDER, err := signCert(certRequest{Subject: subject{CN: "my-etcd-ca"}, IsCA: true}, caKey.Public(), nil, caKey, serial, v, nil)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := parseCert(encodeCert(caDER))
	key, _ := newKey(compiler.ECDSAP256)
	der, err := signCert(certRequest{Subject: subject{CN: "apiserver"}, Usages: clientAuth}, key.Public(), ca, caKey, serial, v, nil)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := encodeKey(key)
	files := map[string][]byte{"etcd/ca.crt": encodeCert(caDER), "etcd/client.crt": encodeCert(der), "etcd/client.key": keyPEM, "cluster.yaml": []byte(externalEtcdYAML)}
	for name, data := range files {
		os.MkdirAll(filepath.Join(dir, "etcd"), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "cluster.yaml"), files
}

// TestExternalEtcd: no etcd CA nor etcd certificates are made; control-plane hosts receive the
// user's files where the apiserver expects its etcd client files, workers nothing of them.
func TestExternalEtcd(t *testing.T) {
	desc, files := writeExternalEtcd(t)
	c, _, diags := compiler.Load(desc)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	r := issue(t, c, Options{})
	for _, e := range r.Report() {
		if strings.Contains(e.Name, "etcd") {
			t.Errorf("etcd certificate issued: %+v", e)
		}
	}
	cp := r.HostArtifacts(compilertest.Host(t, c, "cp1"))
	for path, file := range map[string]string{
		compiler.EtcdCACertPath:          "etcd/ca.crt",
		compiler.APIServerEtcdClientCert: "etcd/client.crt",
		compiler.APIServerEtcdClientKey:  "etcd/client.key",
	} {
		a, ok := lookup(cp, path)
		if !ok || !bytes.Equal(a.Data, files[file]) {
			t.Errorf("cp1 %s: present %t, not the user's %s", path, ok, file)
		}
		if a.Secret != strings.HasSuffix(path, ".key") {
			t.Errorf("cp1 %s: secret %t", path, a.Secret)
		}
	}
	for _, a := range cp {
		if strings.HasPrefix(a.Path, compiler.EtcdPKIDir+"/") && a.Path != compiler.EtcdCACertPath {
			t.Errorf("cp1 has %s", a.Path)
		}
	}
	for _, a := range r.HostArtifacts(compilertest.Host(t, c, "w1")) {
		if strings.Contains(a.Path, "etcd") {
			t.Errorf("w1 has %s", a.Path)
		}
	}
	for rel := range r.Store().Files {
		if strings.HasPrefix(rel, "etcd/") {
			t.Errorf("the store holds %s", rel)
		}
	}
}
