//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	// description is the cluster the suite boots, relative to this package.
	description = "../examples/e2e.yaml"
	// buildScript builds (or finds cached) the real binaries and prints their directory.
	buildScript = "tools/build-binaries.sh"
	// binDirEnv names a directory of real binaries, which skips the build script.
	binDirEnv = "KUBEFORGE_E2E_BIN"
	// cliEnv names a kubeforge binary to test instead of building this repository's.
	cliEnv = "KUBEFORGE_E2E_CLI"
	// logDirEnv names where process logs are copied at the end (default e2e/logs).
	logDirEnv = "KUBEFORGE_E2E_LOGS"
)

// realBinaries are the programs the suite runs; a missing one fails the suite.
var realBinaries = []string{"etcd", "etcdctl", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "kubectl", "kubelet"}

// machineTools are the programs of this machine the suite drives.
var machineTools = []string{"ip", "nsenter", "unshare", "mount", "hostname", "sh", "openssl"}

// requireMachine fails the test unless it runs as root with every tool it drives: the suite
// must never pass by skipping.
func requireMachine(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the e2e suite needs root (network and mount namespaces); run it with `make e2e` as root")
	}
	for _, tool := range machineTools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install it (e2e/run.sh does) — the suite cannot prove anything without it", tool)
		}
	}
}

// realBinDir returns the directory of the real binaries, building them when not cached, and
// fails the test when one is missing.
func realBinDir(t *testing.T, ctx context.Context) string {
	t.Helper()
	dir := os.Getenv(binDirEnv)
	if dir == "" {
		t.Logf("running %s (builds the binaries on a cold cache, ~8 min)", buildScript)
		cmd := exec.CommandContext(ctx, "bash", buildScript)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", buildScript, err, tail(stderr.String(), 40))
		}
		dir = strings.TrimSpace(lastLine(string(out)))
	}
	for _, b := range realBinaries {
		fi, err := os.Stat(filepath.Join(dir, b))
		if err != nil || fi.Mode()&0o111 == 0 {
			t.Fatalf("real binary %s missing in %s (run e2e/tools/build-binaries.sh)", b, dir)
		}
	}
	return dir
}

// requireVersion fails the test unless the real apiserver is the version the description
// names: the suite proves that version's programs accept the files.
func requireVersion(t *testing.T, ctx context.Context, binDir, want string) {
	t.Helper()
	out, err := exec.CommandContext(ctx, filepath.Join(binDir, "kube-apiserver"), "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("kube-apiserver --version: %v: %s", err, out)
	}
	if got := strings.TrimSpace(strings.TrimPrefix(string(out), "Kubernetes ")); got != want {
		t.Fatalf("the real binaries in %s are %s, %s names %s: build that version (K8S_VERSION=%s e2e/tools/build-binaries.sh)", binDir, got, description, want, want)
	}
}

// buildCLI builds the kubeforge binary from this repository and returns its path (or the
// binary named by $KUBEFORGE_E2E_CLI).
func buildCLI(t *testing.T, ctx context.Context, dir string) string {
	t.Helper()
	if cli := os.Getenv(cliEnv); cli != "" {
		return cli
	}
	bin := filepath.Join(dir, "kubeforge")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/kubeforge")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/kubeforge: %v\n%s", err, out)
	}
	return bin
}

// compileBundles runs `kubeforge compile` on the description as a user would and returns
// the output directory.
func compileBundles(t *testing.T, ctx context.Context, cli, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "out")
	cmd := exec.CommandContext(ctx, cli, "compile", description, "-o", out)
	res, err := cmd.CombinedOutput()
	t.Logf("$ kubeforge compile %s -o %s\n%s", description, out, res)
	if err != nil {
		t.Fatalf("kubeforge compile: %v", err)
	}
	return out
}

// suiteContext returns a context that ends a minute before the test binary's deadline, so
// that every wait ends (and cleanup runs) before `go test -timeout` kills the process.
func suiteContext(t *testing.T) context.Context {
	deadline := time.Now().Add(25 * time.Minute)
	if d, ok := t.Deadline(); ok {
		deadline = d.Add(-time.Minute)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx
}

// logDir returns where process logs are copied for after the run.
func logDir() string {
	if d := os.Getenv(logDirEnv); d != "" {
		return d
	}
	abs, err := filepath.Abs("logs")
	if err != nil {
		return "logs"
	}
	return abs
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines before]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
