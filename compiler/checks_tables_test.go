package compiler

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// The checks driven by tables are tested row by row: each row must make its check report, at
// the field the row names. (The corpus shows one example of each; these prove the rest.)

const tableBase = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
networking:
  podSubnets: [10.244.0.0/16, "fd00:244::/56"]
  serviceSubnets: [10.96.0.0/16, "fd00:96::/112"]
hosts:
  - {name: cp1, addresses: [192.168.0.11, "fd00:1::11"], roles: [control-plane]}
  - {name: w1, addresses: [192.168.0.21, "fd00:1::21"], roles: [worker]}
`

// errorsAt loads the base description with extra YAML and returns the error summaries at path.
func errorsAt(t *testing.T, extra, path string) []string {
	t.Helper()
	_, _, ds := LoadBytes("t.yaml", []byte(tableBase+extra))
	var out []string
	for _, d := range ds {
		if d.Severity == diag.Error && d.Path == path {
			out = append(out, d.Summary)
		}
	}
	return out
}

func TestEveryManagedFlagIsRefused(t *testing.T) {
	for _, m := range managedFlags {
		section, path := m.component, fmt.Sprintf("%s.extraArgs[%q]", m.component, m.flag)
		if m.component == "kubelet" {
			path = fmt.Sprintf("kubelet.extraArgs[%q]", m.flag)
		}
		extra := fmt.Sprintf("%s:\n  extraArgs: {%s: \"x\"}\n", section, m.flag)
		if got := errorsAt(t, extra, path); !contains(got, "--"+m.flag+" is managed by kubeforge") {
			t.Errorf("%s --%s: errors at %s: %q", m.component, m.flag, path, got)
		}
	}
}

func TestEveryRemovedFlagIsRefused(t *testing.T) {
	for _, r := range removedFlags {
		path := fmt.Sprintf("%s.extraArgs[%q]", r.component, r.flag)
		extra := fmt.Sprintf("%s:\n  extraArgs: {%s: \"x\"}\n", r.component, r.flag)
		if got := errorsAt(t, extra, path); !contains(got, "--"+r.flag+" was removed") {
			t.Errorf("%s --%s: errors at %s: %q", r.component, r.flag, path, got)
		}
	}
}

func TestEveryKernelNeedIsKept(t *testing.T) {
	for _, n := range kernelNeeds {
		other := "0"
		if n.value == "0" {
			other = "1"
		}
		path := fmt.Sprintf("sysctls[%q]", n.key)
		if got := errorsAt(t, fmt.Sprintf("sysctls: {%s: %s}\n", n.key, other), path); !contains(got, "switches off what Kubernetes needs") {
			t.Errorf("sysctl %s = %s: errors %q", n.key, other, got)
		}
		if got := errorsAt(t, fmt.Sprintf("sysctls: {%s: %s}\n", n.key, n.value), path); len(got) > 0 {
			t.Errorf("sysctl %s = %s, the needed value: errors %q", n.key, n.value, got)
		}
	}
}

func TestRequiredSysctls(t *testing.T) {
	v4 := []string{"net.bridge.bridge-nf-call-ip6tables", "net.bridge.bridge-nf-call-iptables", "net.ipv4.ip_forward"}
	ipv4Only := &Cluster{Network: Network{ServiceSubnets: []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12")}}}
	dual := &Cluster{Network: Network{ServiceSubnets: []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12"), netip.MustParsePrefix("fd00:96::/112")}}}
	for _, tc := range []struct {
		c    *Cluster
		want []string
	}{{ipv4Only, v4}, {dual, append(v4, "net.ipv6.conf.all.forwarding")}} {
		got := tc.c.RequiredSysctls()
		if len(got) != len(tc.want) {
			t.Errorf("%v: got %v", tc.c.Network.ServiceSubnets, got)
		}
		for _, k := range tc.want {
			if got[k] != "1" {
				t.Errorf("%v: %s = %q, want 1", tc.c.Network.ServiceSubnets, k, got[k])
			}
		}
	}
}

func TestEveryProtectedDirIsRefused(t *testing.T) {
	for _, d := range protectedDirs {
		for _, p := range []string{d.dir, d.dir + "/etcd"} {
			if got := errorsAt(t, "etcd: {dataDir: "+p+"}\n", "etcd.dataDir"); len(got) == 0 {
				t.Errorf("dataDir %s accepted", p)
			}
		}
	}
	for _, p := range []string{"/var/lib/etcd", "/data/etcd", "/srv/etcd", "/opt/etcd/data", "/var/lib/etcd2", "/etcd"} {
		if got := errorsAt(t, "etcd: {dataDir: "+p+"}\n", "etcd.dataDir"); len(got) > 0 {
			t.Errorf("dataDir %s refused: %q", p, got)
		}
	}
}

func TestEverySpecialRangeIsRefused(t *testing.T) {
	for _, r := range specialRanges {
		a := r.prefix.Addr()
		if a.Is4In6() {
			continue // refused when the description is built, before the checks
		}
		// The IPv4 address stays first: it is the node IP either way.
		extra := fmt.Sprintf("  - {name: x1, addresses: [192.168.0.31, %q], roles: [worker]}\n", a)
		if a.Is4() {
			extra = fmt.Sprintf("  - {name: x1, addresses: [%q, \"fd00:1::31\"], roles: [worker]}\n", a)
		}
		path := "hosts[2].addresses[1]"
		if a.Is4() {
			path = "hosts[2].addresses[0]"
		}
		if got := errorsAt(t, extra, path); !contains(got, "cannot be a host address") {
			t.Errorf("host address %s (%s): errors %q", a, r.name, got)
		}
	}
}

func contains(summaries []string, part string) bool {
	for _, s := range summaries {
		if strings.Contains(s, part) {
			return true
		}
	}
	return false
}

func TestEveryWritablePathFlagIsChecked(t *testing.T) {
	for _, f := range WritablePathFlags {
		path := fmt.Sprintf("%s.extraArgs[%q]", f.Component, f.Flag)
		for p, refused := range map[string]bool{"/etc/x": true, "/var/log/kubernetes/x": false} {
			extra := fmt.Sprintf("%s:\n  extraArgs: {%s: %s}\n", f.Component, f.Flag, p)
			got := errorsAt(t, extra, path)
			// A directory flag mounts /etc/x itself: inside /etc, which is allowed for these
			// mounts; a file flag mounts /etc.
			want := refused && !f.Dir
			if got := contains(got, "read-write into"); got != want {
				t.Errorf("--%s=%s: refused %v, want %v", f.Flag, p, got, want)
			}
		}
		if f.Dir {
			if got := errorsAt(t, fmt.Sprintf("%s:\n  extraArgs: {%s: /var}\n", f.Component, f.Flag), path); !contains(got, "read-write into") {
				t.Errorf("--%s=/var accepted", f.Flag)
			}
		}
	}
}
