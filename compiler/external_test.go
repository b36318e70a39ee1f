package compiler

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler/diag"
)

const externalEtcdDescription = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: ext
etcd:
  topology: external
  external:
    endpoints: [https://10.0.9.1:2379]
    caFile: etcd/ca.crt
    certFile: etcd/client.crt
    keyFile: etcd/client.key
hosts:
  - {name: cp1, addresses: [10.0.0.11], roles: [control-plane]}
`

// externalEtcdFiles writes a description with an external etcd and valid client files beside
// it, and returns its directory.
func externalEtcdFiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	os.MkdirAll(filepath.Join(dir, "etcd"), 0o755)
	for name, data := range map[string][]byte{
		"cluster.yaml":    []byte(externalEtcdDescription),
		"etcd/ca.crt":     cert,
		"etcd/client.crt": cert,
		"etcd/client.key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestExternalEtcdFiles: the files an external etcd needs are read when the description is
// loaded (so validate sees what compile would), each problem at the field naming the file: an
// unreadable or special file is an I/O problem, never a hang; a file that does not hold what
// its field says makes the description invalid.
func TestExternalEtcdFiles(t *testing.T) {
	dir := externalEtcdFiles(t)
	c, _, ds := Load(filepath.Join(dir, "cluster.yaml"))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if x := c.Etcd.External; len(x.CA) == 0 || len(x.Cert) == 0 || len(x.Key) == 0 {
		t.Fatal("the files' contents are not in the model")
	}
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherDER, _ := x509.MarshalPKCS8PrivateKey(otherKey)
	cases := []struct {
		name  string
		field string
		setup func(dir string) error
		io    bool
		want  string
	}{
		{"missing CA", "caFile", func(d string) error { return os.Remove(filepath.Join(d, "etcd/ca.crt")) }, true, "no such file"},
		{"CA is a FIFO", "caFile", func(d string) error {
			p := filepath.Join(d, "etcd/ca.crt")
			os.Remove(p)
			return syscall.Mkfifo(p, 0o600)
		}, true, "named pipe"},
		{"CA is /dev/zero", "caFile", func(d string) error {
			p := filepath.Join(d, "etcd/ca.crt")
			os.Remove(p)
			return os.Symlink("/dev/zero", p)
		}, true, "character device"},
		{"huge certificate", "certFile", func(d string) error {
			return os.WriteFile(filepath.Join(d, "etcd/client.crt"), make([]byte, 2<<20), 0o600)
		}, true, "larger than 1 MiB"},
		{"CA not PEM", "caFile", func(d string) error {
			return os.WriteFile(filepath.Join(d, "etcd/ca.crt"), []byte("hello\n"), 0o600)
		}, false, "holds no certificate"},
		{"key of another pair", "keyFile", func(d string) error {
			return os.WriteFile(filepath.Join(d, "etcd/client.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: otherDER}), 0o600)
		}, false, "is not the key of"},
		{"key file holds a certificate", "keyFile", func(d string) error {
			data, _ := os.ReadFile(filepath.Join(d, "etcd/ca.crt"))
			return os.WriteFile(filepath.Join(d, "etcd/client.key"), data, 0o600)
		}, false, "expected a PEM private key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := externalEtcdFiles(t)
			if err := tc.setup(dir); err != nil {
				t.Fatal(err)
			}
			done := make(chan diag.List)
			go func() {
				_, _, ds := Load(filepath.Join(dir, "cluster.yaml"))
				done <- ds
			}()
			var ds diag.List
			select {
			case ds = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("loading hung")
			}
			if len(ds) != 1 {
				t.Fatalf("diagnostics %v, want one", ds)
			}
			d := ds[0]
			t.Log(d)
			if d.Path != "etcd.external."+tc.field || d.Pos.Line == 0 || !strings.Contains(d.Summary, tc.want) || (d.Code == diag.CodeIO) != tc.io {
				t.Errorf("got %s (code %q), want an error at etcd.external.%s saying %q, I/O %t", d, d.Code, tc.field, tc.want, tc.io)
			}
			if strings.Contains(d.String(), "-----BEGIN") {
				t.Errorf("the diagnostic quotes key material: %s", d)
			}
		})
	}
}
