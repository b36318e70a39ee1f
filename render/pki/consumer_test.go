package pki

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/emit/emittest"
	"kubeforge.dev/kubeforge/render/internal/realbin"
	"kubeforge.dev/kubeforge/render/kubeconfig"
)

// realBinary returns the path of a real Kubernetes or etcd binary.
func realBinary(t *testing.T, name string) string { return realbin.Path(t, name) }

// pairFrom returns the key pair of a host's certificate and key artifacts.
func pairFrom(t *testing.T, r *Result, h *compiler.Host, certPath, keyPath string) tls.Certificate {
	t.Helper()
	arts := r.HostArtifacts(h)
	c, ok1 := lookup(arts, certPath)
	k, ok2 := lookup(arts, keyPath)
	if !ok1 || !ok2 {
		t.Fatalf("%s lacks %s or %s", h.Name, certPath, keyPath)
	}
	pair, err := tls.X509KeyPair(c.Data, k.Data)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

func pool(t *testing.T, pemData []byte) *x509.CertPool {
	t.Helper()
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pemData) {
		t.Fatal("no CA certificate")
	}
	return p
}

// TestKubectlUsesKubeconfigs runs the real kubectl with each kubeconfig against a TLS server
// presenting the host's apiserver certificate and requiring client certificates of the
// cluster CA, reached under the name the kubeconfig's server URL uses: kubectl must parse the
// file, trust the apiserver and be recognised as the expected user.
func TestKubectlUsesKubeconfigs(t *testing.T) {
	kubectl := realBinary(t, "kubectl")
	c, r := issuedExample(t, "ha.yaml")
	cp1 := compilertest.Host(t, c, "cp1")
	caCert, _ := lookup(r.HostArtifacts(cp1), compiler.CACertPath)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		peer := req.TLS.PeerCertificates[0]
		fmt.Fprintf(w, "%s %v", peer.Subject.CommonName, peer.Subject.Organization)
	}))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{pairFrom(t, r, cp1, compiler.APIServerCertPath, compiler.APIServerKeyPath)},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool(t, caCert.Data),
	}
	// The refused handshake below is expected; keep the server quiet about it.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()

	dir := t.TempDir()
	for _, tc := range []struct {
		host, path, serverName, want string
	}{
		{"cp1", compiler.AdminConfPath, "api.prod.example.com", "kubernetes-admin [kubeadm:cluster-admins]"},
		{"cp1", compiler.SuperAdminConfPath, "api.prod.example.com", "kubernetes-super-admin [system:masters]"},
		{"cp1", compiler.ControllerManagerConfPath, "192.168.10.11", "system:kube-controller-manager []"},
		{"cp1", compiler.SchedulerConfPath, "192.168.10.11", "system:kube-scheduler []"},
		{"w1", compiler.KubeletConfPath, "api.prod.example.com", "system:node:w1 [system:nodes]"},
	} {
		a, _ := lookup(r.HostArtifacts(compilertest.Host(t, c, tc.host)), tc.path)
		kc := filepath.Join(dir, tc.host+"-"+filepath.Base(tc.path))
		if err := os.WriteFile(kc, a.Data, 0o600); err != nil {
			t.Fatal(err)
		}
		k, _ := kubeconfig.Parse(a.Data)
		if got := k.Clusters[0].Cluster.Server; !strings.Contains(got, tc.serverName) {
			t.Errorf("%s: server %s does not name %s", kc, got, tc.serverName)
		}
		out, err := exec.Command(kubectl, "--kubeconfig", kc, "--server", srv.URL, "--tls-server-name", tc.serverName,
			"get", "--raw", "/").CombinedOutput()
		if err != nil || string(out) != tc.want {
			t.Errorf("kubectl with %s:%s: %v: %q, want %q", tc.host, tc.path, err, out, tc.want)
		}
	}
	// A name the apiserver certificate does not carry is refused.
	a, _ := lookup(r.HostArtifacts(cp1), compiler.AdminConfPath)
	kc := filepath.Join(dir, "admin-wrong.conf")
	os.WriteFile(kc, a.Data, 0o600)
	if out, err := exec.Command(kubectl, "--kubeconfig", kc, "--server", srv.URL, "--tls-server-name", "192.168.10.12",
		"get", "--raw", "/").CombinedOutput(); err == nil {
		t.Errorf("kubectl trusted cp1's apiserver as cp2: %s", out)
	}
}

// TestEtcdAcceptsCertificates runs the real etcd with a member's server and peer certificates
// and mutual TLS, then talks to it with etcdctl as the apiserver and as the health checker;
// a client certificate of the cluster CA is refused.
func TestEtcdAcceptsCertificates(t *testing.T) {
	etcd, etcdctl := realBinary(t, "etcd"), realBinary(t, "etcdctl")
	c, r := issuedExample(t, "single-node.yaml")
	h := c.Hosts[0]
	root := t.TempDir()
	b := emittest.WriteHostTree(t, root, h.Name, r.HostArtifacts(h))
	f := func(p string) string { return filepath.Join(b, p) }
	clientURL, logs := startEtcd(t, etcd, h, f, filepath.Join(root, "data"))
	ctl := func(cert, key string, args ...string) (string, error) {
		all := append([]string{"--endpoints", clientURL, "--cacert", f(compiler.EtcdCACertPath),
			"--cert", f(cert), "--key", f(key), "--dial-timeout", "2s", "--command-timeout", "3s"}, args...)
		out, err := exec.Command(etcdctl, all...).CombinedOutput()
		return string(out), err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := ctl(compiler.EtcdHealthcheckClientCert, compiler.EtcdHealthcheckClientKey, "endpoint", "health")
		if err == nil && strings.Contains(out, "is healthy") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("etcd never became healthy: %v\n%s\netcd log:\n%s", err, out, logs)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if out, err := ctl(compiler.APIServerEtcdClientCert, compiler.APIServerEtcdClientKey, "put", "/registry/k", "v"); err != nil {
		t.Fatalf("put as the apiserver: %v\n%s", err, out)
	}
	if out, err := ctl(compiler.APIServerEtcdClientCert, compiler.APIServerEtcdClientKey, "get", "--print-value-only", "/registry/k"); err != nil || strings.TrimSpace(out) != "v" {
		t.Fatalf("get as the apiserver: %v\n%s", err, out)
	}
	if out, err := ctl(compiler.APIServerKubeletClientCert, compiler.APIServerKubeletClientKey, "get", "/registry/k"); err == nil {
		t.Errorf("etcd accepted a client certificate of the cluster CA:\n%s", out)
	}
}

// startEtcd starts the real etcd as a single member named after h, with the member's files
// f(path) of a host tree, mutual TLS on both ports and its data under dataDir; it is stopped
// when the test ends. It returns the client URL and etcd's log.
func startEtcd(t *testing.T, etcd string, h *compiler.Host, f func(string) string, dataDir string) (string, *strings.Builder) {
	t.Helper()
	client, peer, metrics := freePort(t), freePort(t), freePort(t)
	clientURL := "https://127.0.0.1:" + client
	peerURL := "https://127.0.0.1:" + peer
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, etcd, "--name", h.NodeName, "--data-dir", dataDir,
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", h.NodeName+"="+peerURL, "--listen-metrics-urls", "http://127.0.0.1:"+metrics,
		"--cert-file", f(compiler.EtcdServerCert), "--key-file", f(compiler.EtcdServerKey),
		"--client-cert-auth", "--trusted-ca-file", f(compiler.EtcdCACertPath),
		"--peer-cert-file", f(compiler.EtcdPeerCert), "--peer-key-file", f(compiler.EtcdPeerKey),
		"--peer-client-cert-auth", "--peer-trusted-ca-file", f(compiler.EtcdCACertPath))
	logs := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	return clientURL, logs
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// TestTLSHandshakes pairs each server certificate with the clients that dial it, in Go's TLS
// stack, for every example: kubelets and admins to each apiserver under the endpoint's name,
// apiservers to every etcd member and to every kubelet under its node name, and etcd peers to
// each other. Each side verifies the other against the CA file of its own bundle.
func TestTLSHandshakes(t *testing.T) {
	for _, ex := range examples {
		t.Run(ex, func(t *testing.T) {
			c, r := issuedExample(t, ex)
			endpoint := c.Endpoint.Host
			for _, s := range c.Hosts {
				for _, cl := range c.Hosts {
					if s.Has(compiler.RoleControlPlane) {
						if _, ok := lookup(r.HostArtifacts(cl), compiler.KubeletConfPath); ok {
							handshake(t, r, s, compiler.APIServerCertPath, compiler.APIServerKeyPath, compiler.CACertPath,
								cl, compiler.KubeletConfPath, "", compiler.CACertPath, endpoint)
						}
					}
					if c.RunsEtcd(s) && cl.Has(compiler.RoleControlPlane) {
						handshake(t, r, s, compiler.EtcdServerCert, compiler.EtcdServerKey, compiler.EtcdCACertPath,
							cl, compiler.APIServerEtcdClientCert, compiler.APIServerEtcdClientKey, compiler.EtcdCACertPath, s.AdvertiseAddress().String())
					}
					if c.RunsEtcd(s) && c.RunsEtcd(cl) {
						handshake(t, r, s, compiler.EtcdPeerCert, compiler.EtcdPeerKey, compiler.EtcdCACertPath,
							cl, compiler.EtcdPeerCert, compiler.EtcdPeerKey, compiler.EtcdCACertPath, s.AdvertiseAddress().String())
					}
					if cl.Has(compiler.RoleControlPlane) {
						handshake(t, r, s, compiler.KubeletServingCert, compiler.KubeletServingKey, compiler.CACertPath,
							cl, compiler.APIServerKubeletClientCert, compiler.APIServerKubeletClientKey, compiler.CACertPath, s.NodeName)
					}
				}
			}
		})
	}
}

// handshake runs a mutual TLS handshake in memory: server host s with its certificate and
// the CA file it checks clients with, client host cl with its certificate (a kubeconfig when
// clientKey is empty) and the CA file it checks the server with, dialling name.
func handshake(t *testing.T, r *Result, s *compiler.Host, sCert, sKey, sCA string,
	cl *compiler.Host, cCert, cKey, cCA, name string) {
	t.Helper()
	where := fmt.Sprintf("%s %s -> %s %s as %s", cl.Name, cCert, s.Name, sCert, name)
	sArts, cArts := r.HostArtifacts(s), r.HostArtifacts(cl)
	sCAFile, ok1 := lookup(sArts, sCA)
	cCAFile, ok2 := lookup(cArts, cCA)
	if !ok1 || !ok2 {
		t.Errorf("%s: a CA file is missing", where)
		return
	}
	var clientPair tls.Certificate
	if cKey == "" {
		a, _ := lookup(cArts, cCert)
		k, _ := kubeconfig.Parse(a.Data)
		var err error
		if clientPair, err = tls.X509KeyPair(k.Users[0].User.ClientCertificateData, k.Users[0].User.ClientKeyData); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if !strings.Contains(string(k.Clusters[0].Cluster.CertificateAuthorityData), string(cCAFile.Data)) {
			t.Errorf("%s: the kubeconfig trusts another CA than ca.crt", where)
		}
	} else {
		clientPair = pairFrom(t, r, cl, cCert, cKey)
	}
	sConn, cConn := net.Pipe()
	defer sConn.Close()
	defer cConn.Close()
	server := tls.Server(sConn, &tls.Config{
		Certificates: []tls.Certificate{pairFrom(t, r, s, sCert, sKey)},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool(t, sCAFile.Data),
	})
	client := tls.Client(cConn, &tls.Config{
		Certificates: []tls.Certificate{clientPair},
		RootCAs:      pool(t, cCAFile.Data),
		ServerName:   name,
	})
	errc := make(chan error, 1)
	go func() { errc <- server.Handshake() }()
	cerr := client.Handshake()
	if cerr != nil {
		cConn.Close()
	}
	serr := <-errc
	if cerr != nil || serr != nil {
		t.Errorf("%s: client: %v; server: %v", where, cerr, serr)
	}
}
