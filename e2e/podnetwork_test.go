//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler"
)

// cniConfName is the suite's CNI network configuration in each node's /etc/cni/net.d.
const cniConfName = "10-kubeforge-e2e.conflist"

// cniConfig returns a node's pod network: Debian's bridge plugin with host-local addresses
// from the node's pod CIDR (the one the controller-manager allocated), and portmap for host
// ports. No masquerading: pods reach other nodes and pods through routes between the hosts.
func cniConfig(podCIDR netip.Prefix) ([]byte, error) {
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       "kubeforge-e2e",
		"plugins": []any{
			map[string]any{
				"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
				"ipam": map[string]any{
					"type":   "host-local",
					"ranges": [][]map[string]string{{{"subnet": podCIDR.String()}}},
					"routes": []map[string]string{{"dst": "0.0.0.0/0"}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	return json.MarshalIndent(conf, "", "  ")
}

// setUpPodNetwork gives every node the pod network a CNI addon would: the network sysctls of
// its bundle applied in its namespace, a bridge CNI configuration for the pod CIDR the
// controller-manager allocated it, and a route to every other node's pod CIDR through that
// node. It returns each node's pod CIDR.
func (s *suite) setUpPodNetwork(t *testing.T, nodes []*node) map[*node]netip.Prefix {
	t.Helper()
	superAdmin := s.superAdminConf(t)
	cidrs := map[*node]netip.Prefix{}
	for _, n := range nodes {
		var cidr string
		err := waitFor(s.ctx, "spec.podCIDR of node "+n.host.nodeName, 2*time.Minute, []*process{n.kubelet}, func() error {
			out, _, err := s.kubectl(superAdmin, nil, "get", "node", n.host.nodeName, "-o", "jsonpath={.spec.podCIDR}")
			if err != nil {
				return err
			}
			if cidr = strings.TrimSpace(out); cidr == "" {
				return errNotYet
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			t.Fatalf("node %s podCIDR %q: %v", n.host.nodeName, cidr, err)
		}
		cidrs[n] = p
	}
	for _, n := range nodes {
		s.applyNetworkSysctls(t, n)
		conf, err := cniConfig(cidrs[n])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(n.path("/etc/cni/net.d"), cniConfName), conf, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, other := range nodes {
			if other == n {
				continue
			}
			if err := ip(s.ctx, "-n", n.host.netns(), "route", "add", cidrs[other].String(), "via", other.host.addr.String()); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%s: pod CIDR %s (allocated by the controller-manager), bridge cni0, routes to the other nodes' pod CIDRs", n.host.name, cidrs[n])
	}
	return cidrs
}

// applyNetworkSysctls applies the network settings of the node's bundle
// (/etc/sysctl.d/99-kubernetes.conf: forwarding, bridged traffic through iptables) with the
// real sysctl inside the node's network namespace, where net.* keys belong to the node alone.
// Other keys would change this machine: they are not applied, and say so.
func (s *suite) applyNetworkSysctls(t *testing.T, n *node) {
	t.Helper()
	for _, f := range []string{n.host.path(compiler.SysctlPath)} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var netLines, skipped []string
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || line[0] == '#' || line[0] == ';' {
				continue
			}
			if strings.HasPrefix(strings.TrimPrefix(line, "-"), "net.") {
				netLines = append(netLines, line)
			} else {
				skipped = append(skipped, line)
			}
		}
		if len(skipped) > 0 {
			t.Logf("%s: %s: not applied here (machine-wide): %v", n.host.name, strings.TrimPrefix(f, n.host.root), skipped)
		}
		if len(netLines) == 0 {
			continue
		}
		part := filepath.Join(n.dir, "sysctl-"+filepath.Base(f))
		if err := os.WriteFile(part, []byte(strings.Join(netLines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("nsenter", "--net=/run/netns/"+n.host.netns(), "--", "sysctl", "-p", part)
		stdout, stderr, err := runBounded(s.ctx, cmd, clientTimeout, nil)
		if err != nil || strings.TrimSpace(stderr) != "" {
			t.Fatalf("%s: sysctl -p %s: %v %s", n.host.name, strings.TrimPrefix(f, n.host.root), err, stderr)
		}
		t.Logf("%s$ sysctl -p %s (net.* keys, in the node's network namespace)\n%s", n.host.name, strings.TrimPrefix(f, n.host.root), strings.TrimSpace(stdout))
	}
}

// waitNodesReady waits until every node reports Ready (its runtime's network is ready).
func (s *suite) waitNodesReady(t *testing.T, nodes []*node) {
	t.Helper()
	superAdmin := s.superAdminConf(t)
	for _, n := range nodes {
		err := waitFor(s.ctx, "node "+n.host.nodeName+" Ready", 2*time.Minute, []*process{n.kubelet, n.containerd}, func() error {
			out, _, err := s.kubectl(superAdmin, nil, "get", "node", n.host.nodeName, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].message}`)
			if err != nil {
				return err
			}
			if !strings.HasPrefix(out, "True ") {
				return fmt.Errorf("Ready %s", out)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	out, _, err := s.kubectl(superAdmin, nil, "get", "nodes", "-o", "wide")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("$ kubectl get nodes -o wide\n%s", strings.TrimSpace(out))
}
