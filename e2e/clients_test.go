//go:build e2e

package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"kubeforge.dev/kubeforge/compiler"
)

// clientTimeout bounds every client command the suite runs.
const clientTimeout = 60 * time.Second

// clientEnv is the environment of client commands: a HOME of the run's own, so kubectl's
// caches stay out of the machine's.
func (s *suite) clientEnv() []string {
	return []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + filepath.Join(s.run, "home")}
}

// kubectl runs the real kubectl from the root namespace with a kubeconfig of a bundle and
// returns its stdout and stderr.
func (s *suite) kubectl(kubeconfig string, stdin []byte, args ...string) (string, string, error) {
	cmd := exec.Command(filepath.Join(s.binDir, "kubectl"), append([]string{"--kubeconfig=" + kubeconfig, "--request-timeout=20s"}, args...)...)
	cmd.Env = s.clientEnv()
	return runBounded(s.ctx, cmd, clientTimeout, stdin)
}

// kubectlOnHost runs the real kubectl on host h, where the node paths its kubeconfig names
// resolve to h's bundle.
func (s *suite) kubectlOnHost(h *simHost, kubeconfig string, stdin []byte, args ...string) (string, string, error) {
	argv := append([]string{filepath.Join(s.binDir, "kubectl"), "--kubeconfig=" + kubeconfig, "--request-timeout=20s"}, args...)
	cmd, err := s.hostCommand(h, nodeDirBinds(h), nil, argv)
	if err != nil {
		return "", "", err
	}
	cmd.Env = s.clientEnv()
	return runBounded(s.ctx, cmd, clientTimeout, stdin)
}

// etcdctlOnHost runs the real etcdctl on host h with the node's healthcheck-client
// certificate at its node path.
func (s *suite) etcdctlOnHost(h *simHost, endpoints string, args ...string) (string, string, error) {
	argv := append([]string{filepath.Join(s.binDir, "etcdctl"),
		"--endpoints=" + endpoints,
		"--cacert=" + compiler.EtcdCACertPath,
		"--cert=" + compiler.EtcdHealthcheckClientCert,
		"--key=" + compiler.EtcdHealthcheckClientKey,
		"--dial-timeout=5s", "--command-timeout=10s"}, args...)
	cmd, err := s.hostCommand(h, nodeDirBinds(h), nil, argv)
	if err != nil {
		return "", "", err
	}
	cmd.Env = s.clientEnv()
	return runBounded(s.ctx, cmd, clientTimeout, nil)
}

// openssl runs the real openssl and returns its combined output.
func (s *suite) openssl(args ...string) (string, error) {
	cmd := exec.Command("openssl", args...)
	stdout, stderr, err := runBounded(s.ctx, cmd, clientTimeout, nil)
	return strings.TrimSpace(stdout + stderr), err
}

// verifyCert checks cert against caFile with openssl for purpose (sslserver, sslclient) and
// each name (IPs with -verify_ip, others with -verify_hostname); it returns openssl's output.
func (s *suite) verifyCert(caFile, cert, purpose string, names ...string) (string, error) {
	args := []string{"verify", "-x509_strict", "-purpose", purpose, "-CAfile", caFile}
	for _, n := range names {
		if net.ParseIP(n) != nil {
			args = append(args, "-verify_ip", n)
		} else {
			args = append(args, "-verify_hostname", n)
		}
	}
	return s.openssl(append(args, cert)...)
}

// servedCert returns, as a PEM file in the run directory, the certificate a TLS server at
// addr presents (dialled from the root namespace, without verification: openssl verifies).
func (s *suite) servedCert(addr, name string) (string, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	certs := conn.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", fmt.Errorf("%s presented no certificate", addr)
	}
	f := filepath.Join(s.run, name+".pem")
	return f, os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certs[0].Raw}), 0o644)
}

// probe performs an HTTP probe of a static pod as the kubelet does: from the pod's host
// (host network), to the probe's host or else the host's address, on the named or numbered
// port, without verifying TLS. It returns the status line and body.
func (s *suite) probe(sp staticPod, pr *corev1.Probe) (string, error) {
	if pr == nil || pr.HTTPGet == nil {
		return "", fmt.Errorf("%s: no httpGet probe", sp.name())
	}
	g := pr.HTTPGet
	ctr, err := sp.container()
	if err != nil {
		return "", err
	}
	port := g.Port.IntValue()
	if g.Port.StrVal != "" {
		if port, err = containerPort(ctr, g.Port.StrVal); err != nil {
			return "", fmt.Errorf("%s: probe port: %w", sp.name(), err)
		}
	}
	host := g.Host
	if host == "" {
		host = sp.host.addr.String()
	}
	scheme := strings.ToLower(string(g.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	return getFromHost(sp.host, fmt.Sprintf("%s://%s%s", scheme, net.JoinHostPort(host, strconv.Itoa(port)), g.Path))
}

// getFromHost sends GET url from host h's network namespace without verifying TLS (as the
// kubelet probes) and returns the status line and body; an error unless the status is 2xx or
// 3xx.
func getFromHost(h *simHost, url string) (string, error) {
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext:     netnsDialer(h.netns()),
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		},
	}
	defer client.CloseIdleConnections()
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	got := fmt.Sprintf("GET %s: %s %s", url, resp.Status, strings.TrimSpace(string(body)))
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return got, fmt.Errorf("probe failed: %s", got)
	}
	return got, nil
}

// tlsClient returns an HTTP client from the root namespace that trusts caFile and presents
// the client certificate certFile/keyFile.
func tlsClient(caFile, certFile, keyFile string) (*http.Client, error) {
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%s holds no certificate", caFile)
	}
	cfg := &tls.Config{RootCAs: pool}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}, nil
}

// decodeJSON decodes a client's JSON output into v, failing the test with the output when it
// does not decode.
func decodeJSON(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("decoding %T: %v\n%s", v, err, out)
	}
}

// runTool runs a program from the root namespace and returns its combined output.
func (s *suite) runTool(prog string, args ...string) (string, error) {
	cmd := exec.Command(prog, args...)
	cmd.Env = s.clientEnv()
	stdout, stderr, err := runBounded(s.ctx, cmd, clientTimeout, nil)
	return strings.TrimSpace(stdout + stderr), err
}
