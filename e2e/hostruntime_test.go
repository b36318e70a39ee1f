//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"

	"kubeforge.dev/kubeforge/compiler"
)

// runtimeTools are the container runtime programs a node runs (Debian's containerd, runc and
// CNI plugins).
var runtimeTools = []string{"containerd", "containerd-shim-runc-v2", "runc", "ctr"}

// cniBinDir is where Debian's containernetworking-plugins puts the plugins.
const cniBinDir = "/usr/lib/cni"

// node is a simulated host running, as a real node does, its own containerd and its kubelet,
// started from its bundle. Both share one mount namespace, in which the node's directories
// are its own (binds of per-host directories) and the rest is this machine's.
type node struct {
	host        *simHost
	dir         string // the node's own directories, in the run directory
	kc          *kubeletv1beta1.KubeletConfiguration
	kubeletArgv []string
	cgroupRoot  string
	socket      string // containerd's, at its node path
	containerd  *process
	kubelet     *process
}

// nodeDirs are the directories a node writes (node path -> directory under the node's dir):
// the runtime's state, pod networking, logs, and /run, which holds containerd's socket and
// state, the pods' network namespaces and the iptables lock.
var nodeDirs = map[string]string{
	"/run":                "run",
	"/var/lib/containerd": "containerd",
	"/etc/cni/net.d":      "cni-conf",
	"/var/lib/cni":        "cni-state",
	"/var/log/pods":       "pod-logs",
	"/var/log/containers": "container-logs",
}

// newNode prepares h to run its kubelet: reads the kubelet's command line from the bundle's
// unit files (as systemd would run it) and its configuration, and checks what this machine
// needs of them.
func (s *suite) newNode(t *testing.T, h *simHost) *node {
	t.Helper()
	n := &node{host: h, dir: filepath.Join(s.run, h.name+"-node"), kc: s.kubeletConfig(t, h)}
	if n.kc.CgroupDriver != "cgroupfs" {
		t.Fatalf("%s: cgroupDriver %q; this machine has no systemd as PID 1, the suite needs cgroupfs", h.name, n.kc.CgroupDriver)
	}
	argv, err := unitCommand(h, compiler.KubeletUnitPath)
	if err != nil {
		t.Fatal(err)
	}
	argv[0] = filepath.Join(s.binDir, filepath.Base(argv[0]))
	n.kubeletArgv = argv
	n.cgroupRoot = n.kc.CgroupRoot
	if v, ok := flagValue(argv, "cgroup-root"); ok {
		n.cgroupRoot = v
	}
	if err := checkCgroupRoot(n.cgroupRoot); err != nil {
		t.Fatalf("%s: %v; set hosts[].kubelet.extraArgs.cgroup-root in %s (several kubelets on one machine must not share a cgroup root, or each kills the other's pods as orphans)", h.name, err, description)
	}
	endpoint, err := url.Parse(n.kc.ContainerRuntimeEndpoint)
	if err != nil || endpoint.Scheme != "unix" || !within(endpoint.Path, "/run") {
		t.Fatalf("%s: containerRuntimeEndpoint %q: the suite runs containerd at a unix socket under /run", h.name, n.kc.ContainerRuntimeEndpoint)
	}
	n.socket = endpoint.Path
	return n
}

// path returns where a node path of n's own directories is on this machine.
func (n *node) path(nodePath string) string {
	for np, d := range nodeDirs {
		if nodePath == np || within(nodePath, np) {
			rel, _ := filepath.Rel(np, nodePath)
			return filepath.Join(n.dir, d, rel)
		}
	}
	return n.host.path(nodePath)
}

// marker is the value of nodeMarker in the environment of n's containerd and its shims.
func (n *node) marker() string { return n.dir }

// binds returns the node's mounts: its bundle's Kubernetes directories, its own directories,
// its resolv.conf, and a directory of its own for each hostPath its pods use that this
// machine must not lend it (see hostPathBinds).
func (s *suite) nodeBinds(n *node, hostPaths []hostPathUse) ([]bind, error) {
	binds := nodeDirBinds(n.host)
	for np, d := range nodeDirs {
		src := filepath.Join(n.dir, d)
		if err := os.MkdirAll(src, 0o755); err != nil {
			return nil, err
		}
		binds = append(binds, bind{src: src, dst: np})
	}
	// The node's resolvers: its own address, where nothing answers DNS, so that a lookup
	// CoreDNS forwards never leaves the simulated network.
	resolv := filepath.Join(n.dir, "resolv.conf")
	if err := os.WriteFile(resolv, []byte("nameserver "+n.host.addr.String()+"\n"), 0o644); err != nil {
		return nil, err
	}
	binds = append(binds, bind{src: resolv, dst: orDefault(ptrOr(n.kc.ResolverConfig, ""), "/etc/resolv.conf")})
	more, err := n.hostPathBinds(hostPaths, binds)
	if err != nil {
		return nil, err
	}
	binds = append(binds, more...)
	for i := range binds {
		if binds[i].dst, err = machinePath(binds[i].dst); err != nil {
			return nil, err
		}
	}
	return binds, nil
}

// hostPathBinds returns a bind of a directory (or file) of n's own for every hostPath its
// pods use that is neither in a directory already bound nor one this machine may lend: a
// path this machine lacks (what a real node's operating system has, such as /lib/modules, or
// what the kubelet creates), or one a container may write. A directory the bundle installs
// (/var/lib/etcd, 0700) is bound from the node's tree.
func (n *node) hostPathBinds(uses []hostPathUse, bound []bind) ([]bind, error) {
	var binds []bind
	for _, u := range uses {
		covered := slices.ContainsFunc(append(bound, binds...), func(b bind) bool { return u.path == b.dst || within(u.path, b.dst) })
		if covered {
			continue
		}
		if _, err := os.Stat(u.path); err == nil && u.readOnly {
			continue // the machine's own operating-system files, read only
		}
		// A directory the bundle lists (/var/lib/etcd 0700) is the node's, with its mode.
		if fi, err := os.Stat(n.host.path(u.path)); err == nil && fi.IsDir() && !u.file {
			binds = append(binds, bind{src: n.host.path(u.path), dst: u.path})
			continue
		}
		src := filepath.Join(n.dir, "hostpaths", u.path)
		if u.file {
			if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(src, nil, 0o644); err != nil {
				return nil, err
			}
		} else if err := os.MkdirAll(src, 0o755); err != nil {
			return nil, err
		}
		binds = append(binds, bind{src: src, dst: u.path})
	}
	return binds, nil
}

// machinePath returns p with the symbolic links of this machine resolved in its existing
// part (/lib/modules is /usr/lib/modules here): a bind mount lands where the link points.
func machinePath(p string) (string, error) {
	rest := ""
	for cur := filepath.Clean(p); ; cur = filepath.Dir(cur) {
		if _, err := os.Lstat(cur); err == nil {
			real, err := filepath.EvalSymlinks(cur)
			if err != nil {
				return "", err
			}
			return filepath.Join(real, rest), nil
		}
		if cur == "/" {
			return p, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
	}
}

// nodeInitScript sets up a node's mount namespace and then execs its arguments (containerd):
// a sysfs of the node's network namespace (its own /sys/class/net), under which the cgroup
// hierarchies are mounted again (the new sysfs hides this machine's), then the binds, with
// /var/lib/kubelet shared so that the volumes the kubelet mounts reach the containers.
func nodeInitScript(hostname string, hs []cgroupHierarchy, binds []bind) string {
	var b strings.Builder
	b.WriteString("set -e\nhostname " + shellQuote(hostname) + "\n")
	b.WriteString("mount -t sysfs sysfs /sys\nmount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup\n")
	for _, h := range hs {
		fmt.Fprintf(&b, "mkdir -p %s\n", shellQuote(h.mountpoint))
		if h.options == "" {
			fmt.Fprintf(&b, "mount -t %s %s %s\n", h.fstype, h.fstype, shellQuote(h.mountpoint))
		} else {
			fmt.Fprintf(&b, "mount -t %s -o %s %s %s\n", h.fstype, shellQuote(h.options), h.fstype, shellQuote(h.mountpoint))
		}
	}
	for _, bd := range binds {
		fmt.Fprintf(&b, "mount --bind %s %s\n", shellQuote(bd.src), shellQuote(bd.dst))
	}
	b.WriteString("mount --make-rshared " + shellQuote(compiler.KubeletDir) + "\n")
	b.WriteString(`exec "$@"` + "\n")
	return b.String()
}

// start starts n's containerd in a new mount namespace of the host, imports the images the
// node needs, and then starts the kubelet in the same namespaces, with the command line
// systemd would run.
func (s *suite) startNode(t *testing.T, n *node, hs []cgroupHierarchy, hostPaths []hostPathUse, images []string) error {
	h := n.host
	if err := createCgroupRoot(hs, n.cgroupRoot); err != nil {
		return fmt.Errorf("%s: %w", h.name, err)
	}
	binds, err := s.nodeBinds(n, hostPaths)
	if err != nil {
		return fmt.Errorf("%s: %w", h.name, err)
	}
	sortBinds(binds)
	if err := s.mounts.prepareBinds(binds); err != nil {
		return fmt.Errorf("%s: %w", h.name, err)
	}
	if err := os.MkdirAll(filepath.Dir(n.path(n.socket)), 0o755); err != nil {
		return err
	}
	bundleCfg, err := n.bundleContainerdConfig()
	if err != nil {
		return err
	}
	cfgData, err := containerdConfig(bundleCfg, n.socket)
	if err != nil {
		return fmt.Errorf("%s: %w", h.name, err)
	}
	cfg := filepath.Join(n.dir, "containerd.toml")
	if err := os.WriteFile(cfg, cfgData, 0o644); err != nil {
		return err
	}
	// nsenter rather than `ip netns exec`, which mounts a sysfs of its own and a bind of
	// /etc/netns; the init script does what the node needs.
	cmd := exec.Command("nsenter", "--net=/run/netns/"+h.netns(), "--", "unshare", "--mount", "--uts", "--propagation", "private",
		"--", "sh", "-c", nodeInitScript(h.name, hs, binds), "sh", "containerd", "--config", cfg)
	cmd.Env = append(append([]string(nil), baseEnv...), nodeMarker+"="+n.marker())
	cmd.Dir = "/"
	began := time.Now()
	if n.containerd, err = s.procs.start(h.name+"/containerd", cmd, filepath.Join(s.logs, h.name+"-containerd.log")); err != nil {
		return err
	}
	err = waitFor(s.ctx, h.name+" containerd socket", 30*time.Second, []*process{n.containerd}, func() error {
		if fi, err := os.Stat(n.path(n.socket)); err != nil || fi.Mode()&os.ModeSocket == 0 {
			return errNotYet
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, archive := range images {
		if out, err := n.ctr(s, 5*time.Minute, "images", "import", archive); err != nil {
			return fmt.Errorf("%s: importing %s: %w: %s", h.name, archive, err, out)
		}
	}
	t.Logf("%s: containerd up, %d images imported in %s", h.name, len(images), time.Since(began).Round(time.Second))

	if err := s.startKubelet(n); err != nil {
		return err
	}
	t.Logf("%s: kubelet started as systemd would run it: %s", h.name, strings.Join(n.kubeletArgv, " "))
	return nil
}

// startKubelet starts n's kubelet in its containerd's namespaces, with the command line
// systemd would run; its output goes on in the node's kubelet log.
func (s *suite) startKubelet(n *node) error {
	cmd := exec.Command("nsenter", append([]string{"-t", fmt.Sprint(n.containerd.cmd.Process.Pid), "-m", "-n", "-u", "--"}, n.kubeletArgv...)...)
	cmd.Env = append([]string(nil), baseEnv...)
	cmd.Dir = "/"
	var err error
	n.kubelet, err = s.procs.start(n.host.name+"/kubelet", cmd, filepath.Join(s.logs, n.host.name+"-kubelet.log"))
	return err
}

// ctr runs containerd's client on n, inside its mount namespace (so that the FIFOs and paths
// it uses are the node's), in the kubelet's k8s.io namespace.
func (n *node) ctr(s *suite, timeout time.Duration, args ...string) (string, error) {
	argv := append([]string{"-t", fmt.Sprint(n.containerd.cmd.Process.Pid), "-m", "-n", "-u", "--",
		"ctr", "--address", n.socket, "--namespace", "k8s.io"}, args...)
	cmd := exec.Command("nsenter", argv...)
	cmd.Env = append([]string(nil), baseEnv...)
	cmd.Dir = "/"
	stdout, stderr, err := runBounded(s.ctx, cmd, timeout, nil)
	return strings.TrimSpace(stdout + stderr), err
}

// stop ends the node: the kubelet, then every process in its cgroup root (the containers),
// containerd and the runtime shims it started, and removes the cgroups. The node's mount
// namespace, with every mount in it, ends with its last process.
func (n *node) stop(hs []cgroupHierarchy) (string, error) {
	if n.kubelet != nil {
		n.kubelet.stop(10 * time.Second)
	}
	killed, errCgroup := removeCgroupRoot(hs, n.cgroupRoot)
	if n.containerd != nil {
		n.containerd.stop(10 * time.Second)
	}
	shims, errShims := killMarkedProcesses(n.marker())
	msg := fmt.Sprintf("%s: stopped kubelet and containerd, killed %d container processes and %d runtime shims, removed cgroup %s", n.host.name, len(killed), len(shims), n.cgroupRoot)
	return msg, errors.Join(errCgroup, errShims)
}
