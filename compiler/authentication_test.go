package compiler

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// issuerCA returns the PEM of a self-signed CA certificate and of its private key.
func issuerCA(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "issuer CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

const authnCluster = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
kubernetesVersion: "1.37"
apiServer:
  authentication:
    jwt:
      - issuer: {url: "https://issuer.example.com", audiences: [k8s], certificateAuthority: issuer/ca.pem}
        claimMappings: {username: {claim: sub, prefix: "oidc:"}}
hosts:
  - {name: cp1, addresses: [10.0.0.1], roles: [control-plane]}
`

// TestIssuerCAFile: the CA file's certificates are embedded, re-encoded; a file holding a
// private key (alone or beside the certificate) is refused at the field, without its bytes.
func TestIssuerCAFile(t *testing.T) {
	cert, key := issuerCA(t)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"certificate", append([]byte("\n"), cert...), ""},
		{"private key", key, "holds a private key"},
		{"certificate and key", append(append([]byte{}, cert...), key...), "holds a private key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.MkdirAll(filepath.Join(dir, "issuer"), 0o700)
			if err := os.WriteFile(filepath.Join(dir, "issuer/ca.pem"), tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "cluster.yaml"), []byte(authnCluster), 0o600); err != nil {
				t.Fatal(err)
			}
			c, _, ds := Load(filepath.Join(dir, "cluster.yaml"))
			if tc.want == "" {
				if ds.HasErrors() {
					t.Fatal(ds)
				}
				cfg := c.APIServer.Authentication.Config
				if got := cfg.JWT[0].Issuer.CertificateAuthority; got != string(cert) {
					t.Errorf("embedded CA %q, want the certificate", got)
				}
				if cfg.APIVersion != c.Release.APIs.Authentication || cfg.Kind != "AuthenticationConfiguration" {
					t.Errorf("type %s %s", cfg.APIVersion, cfg.Kind)
				}
				return
			}
			if len(ds) != 1 || ds[0].Code != diag.CodeIssuerCAInvalid || !strings.Contains(ds[0].Summary, tc.want) {
				t.Fatalf("diagnostics %v, want one %s: %s", ds, diag.CodeIssuerCAInvalid, tc.want)
			}
			if d := ds[0]; d.Path != "apiServer.authentication.jwt[0].issuer.certificateAuthority" || d.Pos.Line != 8 {
				t.Errorf("at %s %v", d.Path, d.Pos)
			}
			// Printing scrubs keys (diag.List.String); the diagnostic itself must not hold one
			// either, for any other consumer of its fields.
			if body := strings.Split(string(key), "\n")[1]; strings.Contains(fmt.Sprint(ds), body) ||
				strings.Contains(ds[0].Summary+ds[0].Detail, body) {
				t.Error("the diagnostic shows the key")
			}
		})
	}
}
