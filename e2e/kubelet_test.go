//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"

	"kubeforge.dev/kubeforge/compiler"
)

// kubeletSysctls are the machine-wide settings the kubelet changes at start (its kernel
// tunables), restored when its check ends.
var kubeletSysctls = []string{"vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops", "kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes"}

// runtimeTools are the container runtime programs the kubelet check runs (Debian's).
var runtimeTools = []string{"containerd", "containerd-shim-runc-v2", "runc", "setpriv"}

// checkKubelet runs the real kubelet of worker h from its bundle, as systemd would start it
// from the bundle's unit files, with containerd as its runtime, and proves that it registers
// its node, serves the bundle's certificate, and answers the apiserver through it. Everything
// the kubelet changes on the machine (sysctls, cgroups) is restored when the check ends.
func (s *suite) checkKubelet(t *testing.T, h *simHost) {
	for _, tool := range runtimeTools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: the kubelet check needs Debian's containerd and runc (e2e/run.sh installs them)", tool)
		}
	}
	kubeletBin := filepath.Join(s.binDir, "kubelet")
	if _, err := os.Stat(kubeletBin); err != nil {
		t.Fatalf("real binary kubelet missing in %s", s.binDir)
	}
	kc := s.kubeletConfig(t, h)
	if kc.CgroupDriver != "cgroupfs" {
		t.Fatalf("%s: cgroupDriver %q; this machine has no systemd as PID 1, the suite needs cgroupfs", h.name, kc.CgroupDriver)
	}
	argv, err := unitCommand(h, compiler.KubeletUnitPath)
	if err != nil {
		t.Fatal(err)
	}
	argv[0] = filepath.Join(s.binDir, filepath.Base(argv[0]))
	t.Logf("%s: kubelet.service as systemd would run it: %s", h.name, strings.Join(argv, " "))

	// The node may exist already (created by hand in the node identity check): delete it so
	// that the kubelet registers it itself.
	superAdmin := s.superAdminConf(t)
	if _, _, err := s.kubectl(superAdmin, nil, "delete", "node", h.nodeName, "--ignore-not-found", "--wait=true"); err != nil {
		t.Fatal(err)
	}

	restore := s.snapshotHostForKubelet(t)
	t.Cleanup(restore)
	p := s.startKubeletWithContainerd(t, h, kc, argv)
	t.Cleanup(func() { p.stop(20 * time.Second) })

	var node corev1.Node
	err = waitFor(s.ctx, "node "+h.nodeName+" registered by its kubelet", 2*time.Minute, []*process{p}, func() error {
		out, _, err := s.kubectl(superAdmin, nil, "get", "node", h.nodeName, "-o", "json")
		if err != nil {
			return err
		}
		node = corev1.Node{}
		decodeJSON(t, out, &node)
		if node.Status.NodeInfo.KubeletVersion == "" {
			return errNotYet
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, a := range node.Status.Addresses {
		addrs = append(addrs, string(a.Type)+"="+a.Address)
	}
	t.Logf("$ kubectl get node %s: kubelet %s, runtime %s, addresses %v", h.nodeName, node.Status.NodeInfo.KubeletVersion, node.Status.NodeInfo.ContainerRuntimeVersion, addrs)
	if !slices.Contains(addrs, "InternalIP="+h.addr.String()) {
		t.Errorf("node %s addresses %v, want InternalIP %s", h.nodeName, addrs, h.addr)
	}
	if want := s.cluster.Version.String(); node.Status.NodeInfo.KubeletVersion != want {
		t.Errorf("kubelet reports %s, cluster version %s", node.Status.NodeInfo.KubeletVersion, want)
	}

	// Its own health endpoint, where config.yaml puts it.
	healthz := fmt.Sprintf("http://%s/healthz", net.JoinHostPort(orDefault(kc.HealthzBindAddress, "127.0.0.1"), strconv.Itoa(int(ptrOr(kc.HealthzPort, int32(compiler.PortKubeletHealthz))))))
	var answer string
	err = waitFor(s.ctx, "kubelet healthz", time.Minute, []*process{p}, func() error {
		var err error
		answer, err = getFromHost(h, healthz)
		return err
	})
	if err != nil {
		t.Error(err)
	} else {
		t.Logf("%s: %s", h.name, answer)
	}

	// It serves the bundle's certificate, which verifies for the node's address.
	port := int(kc.Port)
	if port == 0 {
		port = compiler.PortKubelet
	}
	served, err := s.servedCert(net.JoinHostPort(h.addr.String(), strconv.Itoa(port)), "kubelet-"+h.name)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := s.verifyCert(h.path(compiler.CACertPath), served, "sslserver", h.addr.String()); err != nil {
		t.Errorf("certificate served by %s's kubelet: %v: %s", h.name, err, out)
	} else {
		t.Logf("$ openssl verify -purpose sslserver -verify_ip %s (certificate served on :%d): %s", h.addr, port, out)
	}
	if !samePEMCert(t, served, h.path(compiler.KubeletServingCert)) {
		t.Errorf("%s's kubelet serves another certificate than %s", h.name, compiler.KubeletServingCert)
	}

	// The apiserver reaches it with apiserver-kubelet-client.crt; the kubelet authenticates that
	// with its clientCAFile and authorizes it through the API (webhook).
	for _, path := range []string{"healthz", "configz"} {
		out, _, err := s.kubectl(superAdmin, nil, "get", "--raw", "/api/v1/nodes/"+h.nodeName+"/proxy/"+path)
		if err != nil {
			t.Errorf("apiserver -> kubelet %s: %v", path, err)
			continue
		}
		if path == "configz" {
			for _, want := range []string{`"cgroupDriver":"cgroupfs"`, `"clusterDNS":["` + strings.Join(kc.ClusterDNS, `","`) + `"]`} {
				if !strings.Contains(out, want) {
					t.Errorf("kubelet configz lacks %s", want)
				}
			}
			out = fmt.Sprintf("%d bytes, running with the bundle's config.yaml", len(out))
		}
		t.Logf("$ kubectl get --raw /api/v1/nodes/%s/proxy/%s: %s", h.nodeName, path, strings.TrimSpace(out))
	}
}

// kubeletConfig returns h's /var/lib/kubelet/config.yaml, decoded strictly.
func (s *suite) kubeletConfig(t *testing.T, h *simHost) *kubeletv1beta1.KubeletConfiguration {
	t.Helper()
	data, err := os.ReadFile(h.path(compiler.KubeletConfigPath))
	if err != nil {
		t.Fatal(err)
	}
	obj, _, err := kubeletConfigDecoder.Decode(data, nil, nil)
	if err != nil {
		t.Fatalf("%s %s: %v", h.name, compiler.KubeletConfigPath, err)
	}
	return obj.(*kubeletv1beta1.KubeletConfiguration)
}

// startKubeletWithContainerd starts containerd and then the kubelet in one mount namespace of
// host h (as on a node, they see the same mounts), containerd's state in the run directory.
func (s *suite) startKubeletWithContainerd(t *testing.T, h *simHost, kc *kubeletv1beta1.KubeletConfiguration, argv []string) *process {
	t.Helper()
	endpoint, err := url.Parse(kc.ContainerRuntimeEndpoint)
	if err != nil || endpoint.Scheme != "unix" {
		t.Fatalf("%s: containerRuntimeEndpoint %q: want unix://", h.name, kc.ContainerRuntimeEndpoint)
	}
	socket := endpoint.Path
	dir := filepath.Join(s.run, h.name+"-runtime")
	state, root, cni, podLogs, ctrLogs := filepath.Join(dir, "state"), filepath.Join(dir, "root"), filepath.Join(dir, "cni"), filepath.Join(dir, "pods"), filepath.Join(dir, "containers")
	for _, d := range []string{state, root, cni, podLogs, ctrLogs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "containerd.toml")
	// restrict_oom_score_adj: this machine drops CAP_SYS_RESOURCE, and runc fails to lower a
	// score without it. No CNI configuration: the node stays NotReady, which the check allows.
	toml := fmt.Sprintf(`version = 2
root = "/var/lib/containerd"
state = "/run/containerd"
[grpc]
  address = %q
[plugins."io.containerd.grpc.v1.cri"]
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    conf_dir = %q
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = false
`, socket, cni)
	if err := os.WriteFile(cfg, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	binds := append(nodeDirBinds(h),
		bind{src: state, dst: "/run/containerd"},
		bind{src: root, dst: "/var/lib/containerd"},
		bind{src: podLogs, dst: "/var/log/pods"},
		bind{src: ctrLogs, dst: "/var/log/containers"},
	)
	if sd := filepath.Dir(socket); sd != "/run/containerd" {
		if err := os.MkdirAll(filepath.Join(dir, "socket"), 0o755); err != nil {
			t.Fatal(err)
		}
		binds = append(binds, bind{src: filepath.Join(dir, "socket"), dst: sd})
	}
	logFile := filepath.Join(s.logs, h.name+"-containerd.log")
	// containerd dies with the kubelet (its parent once sh execs it), even if this test dies.
	script := `setpriv --pdeathsig KILL containerd --config "$CONTAINERD_CONFIG" >>"$CONTAINERD_LOG" 2>&1 &
i=0
while [ ! -S "$CONTAINERD_SOCKET" ]; do
  i=$((i+1)); [ $i -le 150 ] || { echo "containerd did not create $CONTAINERD_SOCKET in 30s" >&2; exit 1; }
  sleep 0.2
done
exec "$@"
`
	cmd, err := s.hostCommand(h, binds, []string{"CONTAINERD_CONFIG=" + cfg, "CONTAINERD_LOG=" + logFile, "CONTAINERD_SOCKET=" + socket},
		append([]string{"sh", "-c", script, "sh"}, argv...))
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.procs.start(h.name+"/kubelet", cmd, filepath.Join(s.logs, h.name+"-kubelet.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("started %s containerd and kubelet (pid %d)", h.name, cmd.Process.Pid)
	return p
}

// sysctlState keeps the kernel tunables as they were before the kubelet started, so that a
// run killed before its cleanup has them restored by the next run.
const sysctlState = "/run/kubeforge-e2e-sysctls"

// snapshotHostForKubelet records what the kubelet changes on this machine and returns the
// function that puts it back: the kernel tunables, and the kubepods cgroups it creates.
func (s *suite) snapshotHostForKubelet(t *testing.T) func() {
	t.Helper()
	var saved strings.Builder
	for _, k := range kubeletSysctls {
		v, err := os.ReadFile(filepath.Join("/proc/sys", k))
		if err != nil {
			t.Fatalf("reading sysctl %s: %v", k, err)
		}
		fmt.Fprintf(&saved, "%s %s\n", k, strings.TrimSpace(string(v)))
	}
	if err := os.WriteFile(sysctlState, []byte(saved.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	before := kubepodsCgroups()
	if len(before) > 0 {
		t.Logf("kubepods cgroups exist before the kubelet starts, left alone: %v", before)
	}
	return func() {
		done, errs := restoreSysctls()
		for _, msg := range done {
			t.Log(msg)
		}
		for _, err := range errs {
			t.Error(err)
		}
		var removed []string
		for _, cg := range kubepodsCgroups() {
			if slices.Contains(before, cg) {
				continue
			}
			if err := removeCgroupTree(cg); err != nil {
				t.Errorf("removing cgroup %s: %v", cg, err)
				continue
			}
			removed = append(removed, cg)
		}
		if len(removed) > 0 {
			t.Logf("removed the kubelet's cgroups %v", removed)
		}
	}
}

// restoreSysctls writes back the values sysctlState saved, removes the state file, and
// returns what it did and what it could not do.
func restoreSysctls() ([]string, []error) {
	data, err := os.ReadFile(sysctlState)
	if err != nil {
		return nil, nil
	}
	var msgs []string
	var errs []error
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		k, want, ok := strings.Cut(line, " ")
		if !ok || !slices.Contains(kubeletSysctls, k) {
			continue
		}
		p := filepath.Join("/proc/sys", k)
		cur, _ := os.ReadFile(p)
		if strings.TrimSpace(string(cur)) == want {
			continue
		}
		if err := os.WriteFile(p, []byte(want), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("restoring sysctl %s=%s: %w", k, want, err))
			continue
		}
		msgs = append(msgs, fmt.Sprintf("restored sysctl %s: %s -> %s", k, strings.TrimSpace(string(cur)), want))
	}
	if len(errs) == 0 {
		os.Remove(sysctlState)
	}
	return msgs, errs
}

// kubepodsCgroups returns the kubelet's top cgroups (cgroupfs driver) on this machine, under
// every cgroup v1 hierarchy and the v2 root.
func kubepodsCgroups() []string {
	found, _ := filepath.Glob("/sys/fs/cgroup/*/kubepods")
	if fi, err := os.Stat("/sys/fs/cgroup/kubepods"); err == nil && fi.IsDir() {
		found = append(found, "/sys/fs/cgroup/kubepods")
	}
	sort.Strings(found)
	return found
}

// removeCgroupTree removes a cgroup and its descendants, deepest first (a cgroup directory
// is removed with rmdir once it has no children and no tasks).
func removeCgroupTree(root string) error {
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var errs []error
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Remove(dirs[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// samePEMCert reports whether two PEM files hold the same certificate bytes.
func samePEMCert(t *testing.T, a, b string) bool {
	t.Helper()
	da, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(bytes.TrimSpace(da), bytes.TrimSpace(firstPEM(db)))
}

// firstPEM returns the first PEM block of data, as text.
func firstPEM(data []byte) []byte {
	end := []byte("-----END CERTIFICATE-----")
	if i := bytes.Index(data, end); i >= 0 {
		return data[:i+len(end)]
	}
	return data
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ptrOr returns *p, or def when p is nil.
func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
