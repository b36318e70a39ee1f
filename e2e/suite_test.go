//go:build e2e

package e2e

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler"
)

// runDirName is the run's scratch directory under the temporary directory.
const runDirName = "kubeforge-e2e"

// suite is one boot of the compiled cluster on this machine.
type suite struct {
	ctx    context.Context
	binDir string // the real binaries
	cli    string // the kubeforge CLI under test
	// conformanceBin holds e2e.test and agnhost, for the conformance run's images.
	conformanceBin string
	run            string // this run's scratch directory
	logs           string // process logs, under run
	out            string // `kubeforge compile` output
	cluster        *compiler.Cluster
	hosts          []*simHost
	mounts         *mountpoints
	procs          *processes
	// started maps "host/pod" to the process running that static pod.
	started map[string]*process
}

// newSuite prepares a run: checks the machine, compiles the description with the CLI, builds
// the simulated network with its load balancer, and registers the cleanup of everything it
// and the test create (run even when the test fails).
func newSuite(t *testing.T) *suite {
	requireMachine(t)
	s := &suite{ctx: suiteContext(t), mounts: &mountpoints{}, procs: &processes{}, started: map[string]*process{}}
	// A fixed directory rather than t.TempDir: a run killed before its cleanup leaves keys and
	// etcd data there, which the next run removes.
	s.run = filepath.Join(os.TempDir(), runDirName)
	if err := os.RemoveAll(s.run); err != nil {
		t.Fatalf("removing a crashed run's directory: %v", err)
	}
	if err := os.MkdirAll(s.run, 0o700); err != nil {
		t.Fatal(err)
	}
	s.logs = filepath.Join(s.run, "logs")
	if err := os.MkdirAll(filepath.Join(s.run, "home"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(s.logs, 0o755); err != nil {
		t.Fatal(err)
	}
	c, _, diags := compiler.Load(description)
	if diags.HasErrors() {
		t.Fatalf("%s: %v", description, diags)
	}
	s.cluster = c
	s.binDir = realBinDir(t, s.ctx)
	requireVersion(t, s.ctx, s.binDir, c.Version.String())

	// Cleanups run last-registered first: processes, load balancer, mountpoints, network,
	// then the logs are reported and the run directory removed.
	t.Cleanup(func() {
		if err := os.RemoveAll(s.run); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	t.Cleanup(func() { s.reportLogs(t) })
	t.Cleanup(func() {
		for _, err := range networkDown(context.Background()) {
			t.Errorf("cleanup: %v", err)
		}
	})
	t.Cleanup(func() {
		created, errs := s.mounts.removeAll()
		for _, err := range errs {
			t.Errorf("cleanup: %v", err)
		}
		t.Logf("removed the mountpoints the suite created on this machine: %v", created)
	})
	s.removeCrashedRunLeftovers(t)

	var nets []netHost
	for _, h := range c.Hosts {
		if h.Name == lbName {
			t.Fatalf("host name %q is the suite's load balancer's", lbName)
		}
		sh := &simHost{netHost: netHost{name: h.Name, addr: h.AdvertiseAddress()}, nodeName: h.NodeName,
			controlPlane: h.Has(compiler.RoleControlPlane), worker: h.Has(compiler.RoleWorker)}
		s.hosts = append(s.hosts, sh)
		nets = append(nets, sh.netHost)
	}
	lbAddr, err := netip.ParseAddr(c.Endpoint.Host)
	if err != nil {
		t.Fatalf("controlPlaneEndpoint %s: the suite needs an IP it can give its load balancer: %v", c.Endpoint.Host, err)
	}
	nets = append(nets, netHost{name: lbName, addr: lbAddr})
	if err := networkUp(s.ctx, nets); err != nil {
		t.Fatalf("network: %v", err)
	}
	var backends []string
	for _, h := range s.controlPlanes() {
		backends = append(backends, net.JoinHostPort(h.addr.String(), strconv.Itoa(c.APIServer.BindPort)))
	}
	lb, err := startLoadBalancer(namePrefix+lbName, net.JoinHostPort(lbAddr.String(), strconv.Itoa(c.Endpoint.Port)), backends)
	if err != nil {
		t.Fatalf("load balancer: %v", err)
	}
	t.Cleanup(lb.close)
	t.Logf("network %s on bridge %s (%s); load balancer %s:%d -> %v", simNet, bridgeName, bridgeAddr, lbAddr, c.Endpoint.Port, backends)
	t.Cleanup(func() { s.procs.stopAll(15 * time.Second) })

	s.cli = buildCLI(t, s.ctx, s.run)
	s.out = compileBundles(t, s.ctx, s.cli, s.run)
	for _, h := range s.hosts {
		h.root = filepath.Join(s.out, h.name)
		if fi, err := os.Stat(h.root); err != nil || !fi.IsDir() {
			t.Fatalf("compile output has no bundle for host %s at %s", h.name, h.root)
		}
	}
	return s
}

// controlPlanes returns the control-plane hosts in description order.
func (s *suite) controlPlanes() []*simHost {
	var out []*simHost
	for _, h := range s.hosts {
		if h.controlPlane {
			out = append(out, h)
		}
	}
	return out
}

// workers returns the worker hosts in description order.
func (s *suite) workers() []*simHost {
	var out []*simHost
	for _, h := range s.hosts {
		if h.worker && !h.controlPlane {
			out = append(out, h)
		}
	}
	return out
}

// startPods starts, on every host, the static pods pick selects, as the hosts' kubelets
// would, and returns their processes.
func (s *suite) startPods(t *testing.T, pick func(staticPod) bool) []*process {
	t.Helper()
	var started []*process
	for _, h := range s.hosts {
		pods, err := staticPods(h)
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range pods {
			if !pick(sp) {
				continue
			}
			argv, binds, env, err := s.podCommand(sp)
			if err != nil {
				t.Fatal(err)
			}
			cmd, err := s.hostCommand(h, binds, env, argv)
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.procs.start(sp.name(), cmd, filepath.Join(s.logs, h.name+"-"+sp.pod.Name+".log"))
			if err != nil {
				t.Fatal(err)
			}
			s.started[sp.name()] = p
			started = append(started, p)
			t.Logf("started %s (pid %d): %s", sp.name(), cmd.Process.Pid, strings.Join(argv, " "))
		}
	}
	return started
}

// removeCrashedRunLeftovers removes what a run killed before its cleanup left on this
// machine, in the order that frees each: its runtime shims and containers, its cgroups, its
// network, the mountpoints it created, the kernel settings its kubelets changed.
func (s *suite) removeCrashedRunLeftovers(t *testing.T) {
	t.Helper()
	if pids, err := killMarkedProcesses(""); err != nil {
		t.Fatalf("removing a crashed run's leftovers: %v", err)
	} else if len(pids) > 0 {
		t.Logf("a crashed run left runtime processes, killed: %v", pids)
	}
	for _, err := range append(append(removeStaleCgroupRoots(), networkDown(s.ctx)...), removeStaleMountpoints()...) {
		t.Fatalf("removing a crashed run's leftovers: %v", err)
	}
	restored, errs := restoreTunables()
	for _, msg := range restored {
		t.Logf("a crashed run's kubelets left kernel settings changed: %s", msg)
	}
	for _, err := range errs {
		t.Fatal(err)
	}
}

// reportLogs copies every process log to the test's log directory and, when the test
// failed, prints the tail of each.
func (s *suite) reportLogs(t *testing.T) {
	entries, _ := os.ReadDir(s.logs)
	dst := filepath.Join(logDir(), t.Name())
	os.RemoveAll(dst)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Logf("logs stay in %s: %v", s.logs, err)
		dst = ""
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(s.logs, e.Name()))
		if err != nil {
			continue
		}
		if dst != "" {
			os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644)
		}
		if t.Failed() {
			t.Logf("---- %s (last lines)\n%s", e.Name(), tail(string(data), 25))
		}
	}
	if dst != "" {
		t.Logf("process logs copied to %s", dst)
	}
}
