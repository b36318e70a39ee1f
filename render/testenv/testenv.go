// Package testenv decides what a test does when the machine lacks what it needs (a consumer
// tool such as systemd-analyze or firewall-offline-cmd, root, a namespace, the real Kubernetes
// binaries): on a developer's machine it skips, and under CI (the environment variable CI set,
// as CI services set it and .ci/run should) it fails, so CI cannot pass by skipping the checks
// that matter most. -short and child-process skips are choices, not missing tools: they stay
// plain skips.
// Every such test in render/, emit/ and cmd/ goes through it; it imports nothing of kubeforge,
// so any package's tests can use it.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// CI reports whether the tests run under CI, where nothing may be missing.
func CI() bool { return os.Getenv("CI") != "" }

// Missing ends the test because the environment lacks what it needs: it skips, or fails
// under CI.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatalf("%s (CI is set: a missing tool or right fails the test)", msg)
	} else {
		t.Skip(msg)
	}
}

// Root ends the test as Missing does unless it runs as root; why says what needs it.
func Root(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "%s: needs root", why)
	}
}

// Tool returns the path of the program name, ending the test as Missing does when it is not
// installed: scripts/install-test-deps.sh installs every program the tests run.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s not installed: run scripts/install-test-deps.sh (make test-deps)", name)
	}
	return p
}

// Tools ends the test as Missing does unless every program named is installed.
func Tools(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		Tool(t, n)
	}
}
