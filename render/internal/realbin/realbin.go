// Package realbin finds the real Kubernetes and etcd programs that tests check kubeforge's
// output against (flags they accept, configs they validate). They are built from the Go module
// proxy and cached by e2e/tools/build-binaries.sh; `make test` builds them first.
package realbin

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"kubeforge.dev/kubeforge/render/testenv"
)

// dir runs the build script once per test process: a cache hit only checks the files.
var dir = sync.OnceValues(func() (string, error) {
	if d := os.Getenv("KUBEFORGE_BIN_DIR"); d != "" {
		return d, nil
	}
	_, self, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(self), "../../../e2e/tools/build-binaries.sh")
	out, err := exec.Command(script).Output()
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1], nil
})

// Dir returns the directory holding the binaries (kube-apiserver, kube-controller-manager,
// kube-scheduler, kubelet, kubectl, kubeadm, etcd, etcdctl), skipping the test with -short,
// and when they cannot be had (failing it under CI, see render/testenv).
func Dir(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not running the real binaries")
	}
	d, err := dir()
	if err != nil {
		testenv.Missing(t, "real Kubernetes binaries unavailable (e2e/tools/build-binaries.sh: %v)", err)
	}
	if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
		testenv.Missing(t, "real Kubernetes binaries unavailable: %q is not a directory", d)
	}
	return d
}

// Path returns the path of one binary, ending the test as testenv.Missing does without it.
func Path(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(Dir(t), name)
	if _, err := os.Stat(p); err != nil {
		testenv.Missing(t, "%s not found in %s", name, Dir(t))
	}
	return p
}
