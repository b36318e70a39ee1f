// Package compilertest loads cluster descriptions for tests of the packages downstream of the
// compiler, failing the test on any error diagnostic.
package compilertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler"
)

// ExamplesDir is the repository's examples/ directory, wherever the test runs from.
var ExamplesDir = func() string {
	_, self, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(self), "../../examples")
}()

// Examples are the example descriptions every renderer is tested on.
var Examples = []string{"ha.yaml", "single-node.yaml", "dedicated-etcd.yaml", "dual-stack.yaml", "kubernetes-1.35.yaml"}

// Load loads a description file or directory; a bare name is taken from examples/.
func Load(t testing.TB, path string) *compiler.Cluster {
	t.Helper()
	if filepath.Base(path) == path {
		path = filepath.Join(ExamplesDir, path)
	}
	c, _, diags := compiler.Load(path)
	if diags.HasErrors() {
		t.Fatalf("%s: %v", path, diags)
	}
	return c
}

// LoadYAML loads a description written in the test. The files an external etcd names
// (caFile, certFile, keyFile) are made for it: a throwaway self-signed certificate and its key,
// beside the description in a temporary directory.
func LoadYAML(t testing.TB, src string) *compiler.Cluster {
	t.Helper()
	files := externalFileRE.FindAllStringSubmatch(src, -1)
	if len(files) == 0 {
		c, _, diags := compiler.LoadBytes("test.yaml", []byte(src))
		if diags.HasErrors() {
			t.Fatalf("test description: %v", diags)
		}
		return c
	}
	dir := t.TempDir()
	cert, key := externalEtcdPair(t)
	for _, f := range files {
		data := cert
		if f[1] == "keyFile" {
			data = key
		}
		p := filepath.Join(dir, strings.Trim(f[2], `"'`))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	desc := filepath.Join(dir, "test.yaml")
	if err := os.WriteFile(desc, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	c, _, diags := compiler.Load(desc)
	if diags.HasErrors() {
		t.Fatalf("test description: %v", diags)
	}
	return c
}

// externalFileRE finds the external etcd file fields of a YAML description.
var externalFileRE = regexp.MustCompile(`(caFile|certFile|keyFile):\s*("[^"]+"|\S+)`)

// externalEtcdPair returns a self-signed certificate (standing for the etcd CA and the client
// certificate at once) and its key, PEM-encoded.
func externalEtcdPair(t testing.TB) (cert, key []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-etcd"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

// Host returns the named host, failing the test when there is none.
func Host(t testing.TB, c *compiler.Cluster, name string) *compiler.Host {
	t.Helper()
	h, ok := c.Host(name)
	if !ok {
		t.Fatalf("no host %q", name)
	}
	return h
}
