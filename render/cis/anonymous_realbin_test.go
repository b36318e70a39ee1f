package cis

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render"
	"kubeforge.dev/kubeforge/render/internal/realbin"
	"kubeforge.dev/kubeforge/render/pki"
)

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs a program until the test ends, its output in a file of dir; the channel is
// closed when it exits.
func start(t *testing.T, ctx context.Context, dir, prog string, args ...string) <-chan struct{} {
	t.Helper()
	log, err := os.Create(filepath.Join(dir, filepath.Base(prog)+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited; log.Close() })
	return exited
}

// TestHardenedAnonymousWithRealAPIServer: the real kube-apiserver, given the hardened
// example's AuthenticationConfiguration, answers its health endpoints without credentials
// (what kubeadm's probes of it need) and refuses an anonymous request to the API.
func TestHardenedAnonymousWithRealAPIServer(t *testing.T) {
	bin := realbin.Dir(t)
	c, _, ds := compiler.Load(filepath.Join(compilertest.ExamplesDir, "hardened.yaml"))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	res, err := render.Compile(c, render.Options{PKI: &pki.Options{}})
	if err != nil {
		t.Fatal(err)
	}
	authn, ok := res.Hosts[0].Lookup("/etc/kubernetes/authentication/config.yaml")
	if !ok {
		t.Fatal("no AuthenticationConfiguration on the first control-plane host")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "authn.yaml"), authn.Data, 0o600); err != nil {
		t.Fatal(err)
	}
	saKey, ok := res.Hosts[0].Lookup(compiler.ServiceAccountKeyPath)
	if !ok {
		t.Fatal("no service-account key")
	}
	if err := os.WriteFile(filepath.Join(dir, "sa.key"), saKey.Data, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	etcdPort, peerPort, port := freePort(t), freePort(t), freePort(t)
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdPort)
	start(t, ctx, dir, filepath.Join(bin, "etcd"), "--data-dir", filepath.Join(dir, "etcd"), "--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", "http://127.0.0.1:"+strconv.Itoa(peerPort))
	apiserver := start(t, ctx, dir, filepath.Join(bin, "kube-apiserver"), "--etcd-servers", etcdURL, "--bind-address", "127.0.0.1", "--secure-port", strconv.Itoa(port),
		"--cert-dir", filepath.Join(dir, "certs"), "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", filepath.Join(dir, "sa.key"), "--service-account-signing-key-file", filepath.Join(dir, "sa.key"),
		"--authorization-mode", "Node,RBAC", "--service-cluster-ip-range", "10.96.0.0/12", "--authentication-config", filepath.Join(dir, "authn.yaml"))

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	get := func(path string) (int, error) {
		resp, err := client.Get(fmt.Sprintf("https://127.0.0.1:%d%s", port, path))
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	// Until the apiserver is ready, or it exits (then its log says why).
	for code, _ := get("/readyz"); code != http.StatusOK; code, _ = get("/readyz") {
		select {
		case <-apiserver:
			out, _ := os.ReadFile(filepath.Join(dir, "kube-apiserver.log"))
			t.Fatalf("kube-apiserver exited:\n%s", out)
		case <-time.After(time.Second):
		}
	}
	for path, want := range map[string]int{"/livez": 200, "/readyz": 200, "/healthz": 200, "/api": 401, "/version": 401} {
		if code, err := get(path); err != nil || code != want {
			t.Errorf("anonymous GET %s: %d %v, want %d", path, code, err, want)
		}
	}
}
