package pki

import (
	"bytes"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/emit/emittest"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/kubeconfig"
	"kubeforge.dev/kubeforge/render/testenv"
)

func needOpenSSL(t *testing.T) string {
	t.Helper()
	return testenv.Tool(t, "openssl")
}

// opensslRun runs openssl and returns its output; failure is reported to the caller.
func opensslRun(openssl string, args ...string) (string, error) {
	out, err := exec.Command(openssl, args...).CombinedOutput()
	return string(out), err
}

// TestOpenSSLVerify writes every bundle of every example to disk and has openssl check each
// certificate with the CA file of the same bundle, strictly: servers for each of their names
// and addresses, clients as clients, CAs as self-signed roots; and each private key against
// its certificate.
func TestOpenSSLVerify(t *testing.T) {
	openssl := needOpenSSL(t)
	for _, ex := range examples {
		t.Run(ex, func(t *testing.T) {
			t.Parallel()
			c, r := issuedExample(t, ex)
			root := t.TempDir()
			for _, h := range c.Hosts {
				dir := emittest.WriteHostTree(t, root, h.Name, r.HostArtifacts(h))
				for _, a := range r.HostArtifacts(h) {
					if isCertArtifact(a) {
						verifyArtifact(t, openssl, dir, h, a)
					}
				}
			}
		})
	}
}

// verifyArtifact checks one certificate artifact (a PEM certificate with its .key beside it,
// or a kubeconfig) with openssl.
func verifyArtifact(t *testing.T, openssl, dir string, h *compiler.Host, a artifact.Artifact) {
	t.Helper()
	where := h.Name + ":" + a.Path
	certFile := filepath.Join(dir, a.Path)
	keyFile := strings.TrimSuffix(certFile, ".crt") + ".key"
	var caFile string
	cert := certOf(t, a)
	if k, ok := kubeconfig.Parse(a.Data); ok {
		tmp := t.TempDir()
		certFile, keyFile, caFile = filepath.Join(tmp, "c.crt"), filepath.Join(tmp, "c.key"), filepath.Join(tmp, "ca.crt")
		u, cl := k.Users[0].User, k.Clusters[0].Cluster
		for p, data := range map[string][]byte{certFile: u.ClientCertificateData, keyFile: u.ClientKeyData, caFile: cl.CertificateAuthorityData} {
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	} else {
		caFile = filepath.Join(dir, map[string]string{
			"kubernetes":     compiler.CACertPath,
			"front-proxy-ca": compiler.FrontProxyCACertPath,
			"etcd-ca":        compiler.EtcdCACertPath,
		}[cert.Issuer.CommonName])
	}

	verify := func(args ...string) {
		t.Helper()
		args = append(append([]string{"verify", "-x509_strict"}, args...), "-CAfile", caFile, certFile)
		if out, err := opensslRun(openssl, args...); err != nil || !strings.Contains(out, ": OK") {
			t.Errorf("%s: openssl %s: %v\n%s", where, strings.Join(args, " "), err, out)
		}
	}
	if cert.IsCA {
		verify()
		return
	}
	if slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		for _, n := range cert.DNSNames {
			verify("-purpose", "sslserver", "-verify_hostname", n)
		}
		for _, ip := range cert.IPAddresses {
			verify("-purpose", "sslserver", "-verify_ip", ip.String())
		}
	}
	if slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		verify("-purpose", "sslclient")
	}

	pub, err := opensslRun(openssl, "x509", "-in", certFile, "-noout", "-pubkey")
	if err != nil {
		t.Fatalf("%s: %v\n%s", where, err, pub)
	}
	keyPub, err := opensslRun(openssl, "pkey", "-in", keyFile, "-pubout")
	if err != nil {
		t.Fatalf("%s: %s: %v\n%s", where, keyFile, err, keyPub)
	}
	if pub != keyPub {
		t.Errorf("%s: the key %s is not the certificate's", where, keyFile)
	}
}

// TestOpenSSLOwnNames checks that each host's serving certificates are valid for its own
// names and addresses and for no other host's: an etcd member or apiserver never carries the
// first host's identity.
func TestOpenSSLOwnNames(t *testing.T) {
	openssl := needOpenSSL(t)
	for _, ex := range []string{"ha.yaml", "dedicated-etcd.yaml"} {
		t.Run(ex, func(t *testing.T) {
			t.Parallel()
			c, r := issuedExample(t, ex)
			root := t.TempDir()
			for _, h := range c.Hosts {
				dir := emittest.WriteHostTree(t, root, h.Name, r.HostArtifacts(h))
				for _, path := range []string{compiler.APIServerCertPath, compiler.EtcdServerCert, compiler.EtcdPeerCert, compiler.KubeletServingCert} {
					a, ok := lookup(r.HostArtifacts(h), path)
					if !ok {
						continue
					}
					caFile := filepath.Join(dir, compiler.CACertPath)
					if strings.Contains(path, "/etcd/") {
						caFile = filepath.Join(dir, compiler.EtcdCACertPath)
					}
					for _, other := range c.Hosts {
						ip := other.AdvertiseAddress().String()
						out, err := opensslRun(openssl, "verify", "-x509_strict", "-purpose", "sslserver",
							"-verify_ip", ip, "-CAfile", caFile, filepath.Join(dir, a.Path))
						ok := err == nil && strings.Contains(out, ": OK")
						// The apiserver certificate also names the endpoint, which in the
						// dedicated example is an address of no host.
						if ok != (other == h) {
							t.Errorf("%s:%s verified for %s (%s): %t, want %t\n%s", h.Name, path, other.Name, ip, ok, other == h, out)
						}
					}
				}
			}
		})
	}
}

// TestOpenSSLRejectsWrongPurpose makes sure the verification above can fail: a client
// certificate is not accepted as a server's.
func TestOpenSSLRejectsWrongPurpose(t *testing.T) {
	openssl := needOpenSSL(t)
	c, r := issuedExample(t, "single-node.yaml")
	h := c.Hosts[0]
	dir := emittest.WriteHostTree(t, t.TempDir(), h.Name, r.HostArtifacts(h))
	out, err := opensslRun(openssl, "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile",
		filepath.Join(dir, compiler.CACertPath), filepath.Join(dir, compiler.APIServerKubeletClientCert))
	if err == nil && bytes.Contains([]byte(out), []byte(": OK")) {
		t.Fatalf("a client certificate verified as a server's:\n%s", out)
	}
}
