//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"kubeforge.dev/kubeforge/compiler"
)

// simHost is a host of the cluster simulated on this machine: its own network namespace and,
// for each of its processes, a private mount namespace in which its bundle's files appear at
// their node paths, and a UTS namespace with its name.
type simHost struct {
	netHost
	// root is the host's compiled bundle: its files at their node paths under root.
	root         string
	nodeName     string
	controlPlane bool
	worker       bool
}

// path returns where a node path of h is on this machine.
func (h *simHost) path(nodePath string) string { return filepath.Join(h.root, nodePath) }

// baseEnv is the environment of every process of a simulated host.
var baseEnv = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"}

// nodeDirBinds returns the binds that show h's bundle at its node paths for a shell on the
// node: the Kubernetes directories the bundle holds (what an operator's kubectl or etcdctl
// reads on a real node).
func nodeDirBinds(h *simHost) []bind {
	var bs []bind
	// /etc/containerd: the node's containerd reads the registry hosts (config_path) and any
	// mirror CA files the bundle installs there.
	for _, d := range []string{compiler.KubernetesDir, compiler.KubeletDir, path.Dir(compiler.ContainerdConfigPath)} {
		if fi, err := os.Stat(h.path(d)); err == nil && fi.IsDir() {
			bs = append(bs, bind{src: h.path(d), dst: d})
		}
	}
	return bs
}

// hostCommand returns a command that runs argv on h: in its network namespace, in a fresh
// private mount namespace holding binds, with h's name as host name. The command line is
// passed through unchanged ("$@"); only the mounts are scripted.
func (s *suite) hostCommand(h *simHost, binds []bind, env []string, argv []string) (*exec.Cmd, error) {
	binds = append([]bind(nil), binds...)
	sortBinds(binds)
	if err := s.mounts.prepareBinds(binds); err != nil {
		return nil, fmt.Errorf("host %s: %w", h.name, err)
	}
	var script strings.Builder
	script.WriteString("set -e\nhostname " + shellQuote(h.name) + "\n")
	for _, b := range binds {
		fmt.Fprintf(&script, "mount --bind %s %s\n", shellQuote(b.src), shellQuote(b.dst))
		if b.readOnly {
			fmt.Fprintf(&script, "mount -o remount,bind,ro %s\n", shellQuote(b.dst))
		}
	}
	script.WriteString(`exec "$@"` + "\n")
	// nsenter rather than `ip netns exec`, which mounts a fresh /sys and so hides the cgroup
	// hierarchies the kubelet needs.
	args := []string{"--net=/run/netns/" + h.netns(), "--", "unshare", "--mount", "--uts", "--propagation", "private",
		"--", "sh", "-c", script.String(), "sh"}
	cmd := exec.Command("nsenter", append(args, argv...)...)
	cmd.Env = append(append([]string(nil), baseEnv...), env...)
	return cmd, nil
}

// onHost runs a short command on h with its node directories mounted and returns its stdout
// and stderr; it is killed (with its process group) after timeout.
func (s *suite) onHost(ctx context.Context, h *simHost, timeout time.Duration, stdin []byte, argv ...string) (string, string, error) {
	cmd, err := s.hostCommand(h, nodeDirBinds(h), nil, argv)
	if err != nil {
		return "", "", err
	}
	return runBounded(ctx, cmd, timeout, stdin)
}

// runBounded runs cmd to completion within timeout, killing its process group when the time
// is up, and returns its stdout and stderr.
func runBounded(ctx context.Context, cmd *exec.Cmd, timeout time.Duration, stdin []byte) (string, string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return "", "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			err = fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return stdout.String(), stderr.String(), err
	case <-ctx.Done():
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return stdout.String(), stderr.String(), fmt.Errorf("%s: killed after %s", strings.Join(cmd.Args, " "), timeout)
	}
}

// shellQuote returns s quoted for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
