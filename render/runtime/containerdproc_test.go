package runtime

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A containerd of the test's own, and ctr against it.

// startContainerd runs a containerd of the test's own, its root, state and socket in
// temporary directories (never the machine's /var/lib/containerd or /run/containerd, which
// other containerds use), and returns its socket once it answers. The test's end kills it.
//
// Without nodeEtc it serves ctr only. With it, containerd runs as on a node whose /etc is the
// machine's with nodeEtc laid over it (an overlay in a mount namespace of containerd's own, so
// that what containerd creates there, such as the CRI plugin's CNI directory, stays in the
// test's directories): nodeEtc holds the bundle's containerd files, and the config.toml
// written there imports conf.d, as the compiler's warning CodeContainerdNoDropIn tells
// administrators of containerd 1.x to.
func startContainerd(t *testing.T, bin, nodeEtc string) string {
	t.Helper()
	dir := t.TempDir()
	// A unix socket's path has at most 107 bytes: t.TempDir's, named after the test, may be
	// longer.
	sockDir, err := os.MkdirTemp("", "kf-containerd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock := filepath.Join(sockDir, "containerd.sock")
	// opt would write /opt/containerd; ctr needs no CRI plugin (its CNI and sandbox machinery).
	settings := `disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt"]`
	cfg := filepath.Join(dir, "config.toml")
	argv := []string{bin, "--config", cfg}
	if nodeEtc != "" {
		settings = "disabled_plugins = [\"io.containerd.internal.v1.opt\"]\nimports = [\"/etc/containerd/conf.d/*.toml\"]"
		cfg = filepath.Join(nodeEtc, "containerd", "config.toml")
		work := filepath.Join(dir, "overlay-work")
		if err := os.Mkdir(work, 0o700); err != nil {
			t.Fatal(err)
		}
		argv = []string{"unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
			`set -e; mount -t overlay kubeforge-test -o "lowerdir=/etc,upperdir=$1,workdir=$2" /etc; shift 2; exec "$@"`,
			"sh", nodeEtc, work, bin, "--config", "/etc/containerd/config.toml"}
	}
	config := fmt.Sprintf("version = 2\nroot = %q\nstate = %q\n%s\n[grpc]\n  address = %q\n",
		filepath.Join(dir, "root"), filepath.Join(dir, "state"), settings, sock)
	if err := os.MkdirAll(filepath.Dir(cfg), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "containerd.log")
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	// Should the test binary die, containerd dies with it (unshare and sh exec it: one process).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	logTail := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	// A bound on waiting, not a measure: containerd starts in well under a second here.
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case err := <-exited:
			t.Fatalf("containerd exited: %v\n%s", err, logTail())
		default:
		}
		if conn, err := net.Dial("unix", sock); err == nil {
			conn.Close()
			return sock
		}
		if time.Now().After(deadline) {
			t.Fatalf("containerd did not listen on %s:\n%s", sock, logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ctr runs ctr against the containerd at sock in the CRI's namespace, returning its output.
func ctr(t *testing.T, sock string, args ...string) (string, error) {
	t.Helper()
	// A bound against a hung pull, not a measure.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ctr", append([]string{"--address", sock, "--namespace", "k8s.io"}, args...)...)
	out, err := cmd.CombinedOutput()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("ctr %s did not finish:\n%s", strings.Join(args, " "), out)
	}
	return string(out), err
}

// imageDigest returns the digest containerd records for the image ref, and whether it has one.
func imageDigest(t *testing.T, sock, ref string) (string, bool) {
	t.Helper()
	out, err := ctr(t, sock, "images", "ls")
	if err != nil {
		t.Fatalf("ctr images ls: %v\n%s", err, out)
	}
	// REF TYPE DIGEST SIZE PLATFORMS LABELS
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == ref {
			return f[2], true
		}
	}
	return "", false
}
