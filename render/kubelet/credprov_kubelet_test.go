package kubelet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/internal/realbin"
	"kubeforge.dev/kubeforge/render/testenv"
)

// The real kubelet reads the rendered CredentialProviderConfig: it decodes and validates it,
// then looks up each provider's executable, and exits at start when any of that fails. It
// does so only once connected to a container runtime, so the test runs a containerd of its
// own (root, state and socket in a temporary directory).
//
// The kubelet is stopped right after the providers are registered, before it changes the
// machine (sysctls, cgroups): the next thing it creates is the image_manager directory of its
// root directory, where the test puts a file, and it exits on that error. It runs in a mount
// namespace of its own with a tmpfs on /var/lib, where it creates its device-plugins
// directory whatever --root-dir says.
func TestRealKubeletReadsCredentialProviderConfig(t *testing.T) {
	kubelet := realbin.Path(t, "kubelet")
	testenv.Root(t, "a kubelet and a containerd")
	containerd := testenv.Tool(t, "containerd")
	unshare := testenv.Tool(t, "unshare")

	c := compilertest.Load(t, "dual-stack.yaml")
	h, _ := c.Host("cp1")
	a := lookup(t, render(t, c, h), compiler.CredentialProviderConfigPath)
	if len(h.Kubelet.ImageCredentialProviders) == 0 {
		t.Fatal("cp1 of dual-stack has no credential providers")
	}

	dir := t.TempDir()
	socket := startContainerd(t, containerd, dir)
	creds := filepath.Join(dir, "credential-providers.yaml")
	writeFile(t, creds, a.Data, 0o644)
	kubeletConfig := filepath.Join(dir, "config.yaml")
	writeFile(t, kubeletConfig, []byte(fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failSwapOn: false
failCgroupV1: false
containerRuntimeEndpoint: unix://%s
authentication: {webhook: {enabled: false}, anonymous: {enabled: false}}
authorization: {mode: AlwaysAllow}
address: 127.0.0.1
port: 21250
healthzPort: 0
podLogsDir: %s
`, socket, filepath.Join(dir, "pod-logs"))), 0o644)

	const registered = "failed to setup the FSPullRecordsAccessor"
	const refused = "Failed to register CRI auth plugins"
	for _, tc := range []struct {
		name    string
		install bool // the providers' executables are in the bin dir
		want    string
	}{
		{"providers installed", true, registered},
		// The same file without the executables: the kubelet must refuse it, or the test
		// could not tell a read file from an ignored one.
		{"executables missing", false, refused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tcDir := t.TempDir()
			binDir, rootDir := filepath.Join(tcDir, "bin"), filepath.Join(tcDir, "root")
			for _, d := range []string{binDir, rootDir} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if tc.install {
				for _, p := range h.Kubelet.ImageCredentialProviders {
					writeFile(t, filepath.Join(binDir, p.Name), []byte("#!/bin/sh\nexit 1\n"), 0o755)
				}
			}
			writeFile(t, filepath.Join(rootDir, "image_manager"), nil, 0o644)

			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			script := `mount -t tmpfs kubeforge-test /var/lib && exec "$@"`
			cmd := exec.CommandContext(ctx, unshare, "-m", "--propagation", "private", "sh", "-c", script, "sh",
				kubelet, "--config="+kubeletConfig, "--root-dir="+rootDir, "--cert-dir="+filepath.Join(tcDir, "pki"),
				"--"+compiler.CredentialProviderConfigFlag+"="+creds, "--"+compiler.CredentialProviderBinDirFlag+"="+binDir)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || ctx.Err() != nil {
				t.Fatalf("the kubelet did not exit by itself (%v):\n%s", err, tail(out))
			}
			if !strings.Contains(string(out), tc.want) {
				t.Fatalf("the kubelet's output lacks %q:\n%s", tc.want, tail(out))
			}
			if tc.want == registered && strings.Contains(string(out), refused) {
				t.Fatalf("the kubelet refused the providers:\n%s", tail(out))
			}
		})
	}
}

// startContainerd runs a containerd of the test's own and returns its socket once it serves.
func startContainerd(t *testing.T, containerd, dir string) string {
	t.Helper()
	d := filepath.Join(dir, "containerd")
	socket := filepath.Join(d, "containerd.sock")
	config := filepath.Join(d, "config.toml")
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	// restrict_oom_score_adj: the machines tests run on may lack CAP_SYS_RESOURCE.
	writeFile(t, config, []byte(fmt.Sprintf(`version = 2
root = %q
state = %q
[grpc]
  address = %q
[plugins."io.containerd.grpc.v1.cri"]
  restrict_oom_score_adj = true
`, filepath.Join(d, "root"), filepath.Join(d, "state"), socket)), 0o644)
	cmd := exec.Command(containerd, "--config", config)
	log, err := os.Create(filepath.Join(d, "log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log.Close()
	})
	// The CRI plugin serves once containerd logs that it is serving on the socket.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		data, _ := os.ReadFile(log.Name())
		if strings.Contains(string(data), "serving... address="+socket+"\n") {
			return socket
		}
		if time.Now().After(deadline) {
			t.Fatalf("containerd did not start:\n%s", tail(data))
		}
	}
}

func writeFile(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
}

// tail returns the last lines of a program's output, for a failure message.
func tail(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.Join(lines[max(0, len(lines)-15):], "\n")
}
