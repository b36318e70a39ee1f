package kubelet

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/internal/realbin"
)

// envArgs reads kubeadm-flags.env the way the unit consumes it: the shell-quoted value of
// KUBELET_KUBEADM_ARGS, split into words.
func envArgs(t *testing.T, data []byte) []string {
	t.Helper()
	s := string(data)
	if !strings.HasPrefix(s, `KUBELET_KUBEADM_ARGS="`) || !strings.HasSuffix(s, "\"\n") || strings.Count(s, "\n") != 1 {
		t.Fatalf("kubeadm-flags.env is not one KUBELET_KUBEADM_ARGS line: %q", s)
	}
	return strings.Fields(strings.TrimSuffix(strings.TrimPrefix(s, `KUBELET_KUBEADM_ARGS="`), "\"\n"))
}

const flagsCluster = `
apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
hosts:
  - name: cp1
    addresses: [10.0.0.1]
    roles: [control-plane]
    labels: {node-role.kubernetes.io/infra: "", topology.kubernetes.io/zone: a}
  - name: w1
    nodeName: worker-one.example.com
    addresses: [10.0.0.2, "fd00::2", 10.0.0.22]
    roles: [worker]
    labels: {node.example.com/b: "2", node.example.com/a: "1"}
  - name: w2
    addresses: [10.0.0.3]
    roles: [worker]
    kubelet: {extraArgs: {v: "2", event-qps: "0"}}
`

func TestKubeadmFlags(t *testing.T) {
	c := compilertest.LoadYAML(t, flagsCluster)
	want := map[string][]string{
		// Role labels are the API's to set (NodeRestriction); the load-balancer exclusion is
		// the kubelet's.
		"cp1": {"--node-ip=10.0.0.1", "--node-labels=node.kubernetes.io/exclude-from-external-load-balancers=,topology.kubernetes.io/zone=a"},
		// The node name differs from the host name; one address per family.
		"w1": {"--hostname-override=worker-one.example.com", "--node-ip=10.0.0.2,fd00::2", "--node-labels=node.example.com/a=1,node.example.com/b=2"},
		// Extra args come last, sorted (flags kubeforge derives cannot be given: the compiler
		// refuses them).
		"w2": {"--node-ip=10.0.0.3", "--event-qps=0", "--v=2"},
	}
	for _, h := range c.Hosts {
		a := lookup(t, render(t, c, h), compiler.KubeletEnvPath)
		if a.Mode != 0o644 {
			t.Errorf("%s: mode %o", h.Name, a.Mode)
		}
		got := envArgs(t, a.Data)
		if !slices.Equal(got, want[h.Name]) {
			t.Errorf("%s: flags\n%q\nwant\n%q", h.Name, got, want[h.Name])
		}
		if strings.Contains(string(a.Data), "node-role.kubernetes.io") {
			t.Errorf("%s: role label passed to the kubelet: %s", h.Name, a.Data)
		}
	}
}

func TestKubeadmFlagsOnExamples(t *testing.T) {
	for _, name := range []string{"ha", "dual-stack", "dedicated-etcd"} {
		c := loadExample(t, name)
		for _, h := range c.Hosts {
			b := render(t, c, h)
			a, ok := b.Lookup(compiler.KubeletEnvPath)
			if c.EtcdOnly(h) {
				if ok {
					t.Errorf("%s/%s: etcd-only host has kubeadm-flags.env", name, h.Name)
				}
				continue
			}
			if !ok {
				t.Fatalf("%s/%s: no kubeadm-flags.env", name, h.Name)
			}
			args := envArgs(t, a.Data)
			wantIP := "--node-ip=" + h.Addresses[0].String()
			if name == "dual-stack" {
				wantIP += "," + h.Addresses[1].String()
			}
			if !slices.Contains(args, wantIP) {
				t.Errorf("%s/%s: %q lacks %s", name, h.Name, args, wantIP)
			}
			for _, arg := range args {
				if strings.HasPrefix(arg, "--hostname-override") || strings.HasPrefix(arg, "--container-runtime-endpoint") || strings.Contains(arg, "node-role") {
					t.Errorf("%s/%s: unexpected %s", name, h.Name, arg)
				}
			}
		}
	}
}

// The flags kubeforge passes must exist in the real kubelet (when the test binaries are built).
func TestKubeadmFlagsKnownToKubelet(t *testing.T) {
	bin := realbin.Path(t, "kubelet")
	help, _ := exec.Command(bin, "--help").CombinedOutput()
	c := compilertest.LoadYAML(t, flagsCluster)
	for _, h := range c.Hosts[:2] {
		for _, arg := range envArgs(t, lookup(t, render(t, c, h), compiler.KubeletEnvPath).Data) {
			name, _, _ := strings.Cut(arg, "=")
			if !strings.Contains(string(help), " "+name+" ") {
				t.Errorf("kubelet --help does not know %s", name)
			}
		}
	}
	for _, flag := range []string{"--config", "--kubeconfig"} {
		if !strings.Contains(string(help), " "+flag+" ") {
			t.Errorf("kubelet --help does not know %s", flag)
		}
	}
}
