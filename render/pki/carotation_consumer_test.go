package pki

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/emit/emittest"
)

// TestCARotationRealAPIServer rotates the cluster CA and the service-account key of the
// single-node example together and runs the real etcd and kube-apiserver on each stage's
// files (ca.crt as --client-ca-file, sa.pub as --service-account-key-file): at stage 1 the
// outgoing admin.conf and a stage-2 one are both authenticated; at stage 2 the stage-1
// admin.conf and a token signed by the outgoing key still are, next to the new ones; at stage
// 3 the outgoing admin.conf and token are refused and the new ones served.
func TestCARotationRealAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver")
	}
	etcd, apiserver, kubectlBin := realBinary(t, "etcd"), realBinary(t, "kube-apiserver"), realBinary(t, "kubectl")
	c := compilertest.Load(t, "single-node.yaml")
	h := c.Hosts[0]
	runs := rotateThrough(t, c, "ca", "sa")
	root := t.TempDir()
	stageDir := make([]string, len(runs))
	for i, run := range runs {
		stageDir[i] = emittest.WriteHostTree(t, filepath.Join(root, "stage"+string(rune('0'+i))), h.Name, run.r.HostArtifacts(h))
	}
	file := func(stage int, p string) string { return filepath.Join(stageDir[stage], p) }

	// etcd's CA is not rotated: one etcd serves every stage.
	clientURL, etcdLog := startEtcd(t, etcd, h, func(p string) string { return file(1, p) }, filepath.Join(root, "etcd"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	empty := filepath.Join(root, "empty.conf")
	os.WriteFile(empty, []byte("apiVersion: v1\nkind: Config\n"), 0o600)
	var server string
	// kubectl runs kubectl against the running apiserver, with a kubeconfig or, with
	// kubeconfig empty, with the stage's ca.crt and a token.
	kubectl := func(stage int, kubeconfig, token string, args ...string) (string, error) {
		all := []string{"--server", server, "--tls-server-name", "kubernetes", "--request-timeout", "10s"}
		if kubeconfig != "" {
			all = append(all, "--kubeconfig", file(stage, kubeconfig))
		} else {
			all = append(all, "--kubeconfig", empty, "--certificate-authority", file(stage, compiler.CACertPath), "--token", token)
		}
		out, err := exec.Command(kubectlBin, append(all, args...)...).CombinedOutput()
		return string(out), err
	}
	startAPIServer := func(stage int) func() {
		port := freePort(t)
		server = "https://127.0.0.1:" + port
		actx, acancel := context.WithCancel(ctx)
		f := func(p string) string { return file(stage, p) }
		cmd := exec.CommandContext(actx, apiserver, "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
			"--secure-port", port, "--cert-dir", filepath.Join(root, "certs"),
			"--etcd-servers", clientURL, "--etcd-cafile", f(compiler.EtcdCACertPath),
			"--etcd-certfile", f(compiler.APIServerEtcdClientCert), "--etcd-keyfile", f(compiler.APIServerEtcdClientKey),
			"--client-ca-file", f(compiler.CACertPath),
			"--tls-cert-file", f(compiler.APIServerCertPath), "--tls-private-key-file", f(compiler.APIServerKeyPath),
			"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file", f(compiler.ServiceAccountPubPath),
			"--service-account-signing-key-file", f(compiler.ServiceAccountKeyPath),
			"--service-cluster-ip-range", "10.96.0.0/16", "--authorization-mode", "Node,RBAC",
			// A loopback advertise address is refused by the endpoint reconciler.
			"--endpoint-reconciler-type", "none")
		log := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		stop := func() { acancel(); cmd.Wait() }
		deadline := time.Now().Add(60 * time.Second)
		for {
			out, err := kubectl(stage, compiler.SuperAdminConfPath, "", "get", "--raw", "/readyz")
			if err == nil && strings.TrimSpace(out) == "ok" {
				return stop
			}
			if time.Now().After(deadline) {
				stop()
				t.Fatalf("stage %d: kube-apiserver never ready: %v %s\napiserver log (tail):\n%s\netcd log (tail):\n%s",
					stage, err, out, tail(log.String()), tail(etcdLog.String()))
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	// whoami checks whether a kubeconfig of stage ks, or a token, is authenticated as want.
	whoami := func(stage, ks int, kubeconfig, token, want string, served bool) {
		t.Helper()
		out, err := kubectl(ks, kubeconfig, token, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
		who := kubeconfig
		if who == "" {
			who = "token"
		}
		switch {
		case served && (err != nil || out != want):
			t.Errorf("stage %d: the stage-%d %s is not served: %v %q, want %q", stage, ks, who, err, out, want)
		case !served && err == nil:
			t.Errorf("stage %d: the stage-%d %s is still served as %q", stage, ks, who, out)
		case !served && !strings.Contains(out, "Unauthorized"):
			t.Errorf("stage %d: the stage-%d %s fails otherwise than refused: %s", stage, ks, who, out)
		}
	}
	token := func(stage int) string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			kubectl(stage, compiler.SuperAdminConfPath, "", "create", "serviceaccount", "rotation", "-n", "default")
			out, err := kubectl(stage, compiler.SuperAdminConfPath, "", "create", "token", "rotation", "-n", "default", "--duration", "1h")
			if err == nil {
				return strings.TrimSpace(out)
			}
			if time.Now().After(deadline) {
				t.Fatalf("stage %d: no token: %v %s", stage, err, out)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	const admin, sa = "kubernetes-admin", "system:serviceaccount:default:rotation"

	stop := startAPIServer(1)
	whoami(1, 0, compiler.AdminConfPath, "", admin, true)
	whoami(1, 1, compiler.AdminConfPath, "", admin, true)
	whoami(1, 2, compiler.AdminConfPath, "", admin, true)
	oldToken := token(1)
	whoami(1, 1, "", oldToken, sa, true)
	stop()

	stop = startAPIServer(2)
	whoami(2, 1, compiler.AdminConfPath, "", admin, true)
	whoami(2, 2, compiler.AdminConfPath, "", admin, true)
	whoami(2, 2, "", oldToken, sa, true)
	newToken := token(2)
	whoami(2, 2, "", newToken, sa, true)
	stop()

	stop = startAPIServer(3)
	defer stop()
	whoami(3, 1, compiler.AdminConfPath, "", admin, false)
	whoami(3, 3, "", oldToken, sa, false)
	whoami(3, 3, compiler.AdminConfPath, "", admin, true)
	whoami(3, 3, "", newToken, sa, true)
}

// tail returns the last lines of a log.
func tail(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}
