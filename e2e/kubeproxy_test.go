//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	proxyv1alpha1 "k8s.io/kube-proxy/config/v1alpha1"
	"sigs.k8s.io/yaml"
)

// kubeProxyDaemonSet is the name of kube-proxy's DaemonSet and ConfigMap, as the cluster
// bundle (and kubeadm) creates them.
const kubeProxyDaemonSet = "kube-proxy"

// kube-proxy's defaults for the conntrack table (KubeProxyConntrackConfiguration) and the
// cap it applies to the scaled value.
const (
	conntrackMaxPerCore = 32768
	conntrackMin        = 131072
	conntrackCap        = 1048576
)

// nfConntrackMax is the machine-wide conntrack table size.
const nfConntrackMax = "/proc/sys/net/netfilter/nf_conntrack_max"

// presetConntrackMax sets this machine's nf_conntrack_max to the value kube-proxy computes
// from the bundle's configuration (per-core size times the online CPUs, at least the minimum)
// and writes at start when the kernel has another. On a real node kube-proxy, in the node's
// initial network namespace, writes it itself; here each node is a network namespace of its
// own, where the kernel makes that setting read-only, and kube-proxy 1.37 exits on the error.
// So the suite makes, once for the machine, the change every node's kube-proxy would make to
// its own kernel; the value is restored at the end with the kubelets' settings.
func (s *suite) presetConntrackMax(t *testing.T) {
	t.Helper()
	cfg := s.kubeProxyConfiguration(t)
	perCore := int(ptrOr(cfg.Conntrack.MaxPerCore, conntrackMaxPerCore))
	if perCore == 0 {
		t.Log("kube-proxy's configuration leaves nf_conntrack_max alone (conntrack.maxPerCore: 0)")
		return
	}
	cpus, err := onlineCPUs()
	if err != nil {
		t.Fatal(err)
	}
	want := min(max(perCore*cpus, int(ptrOr(cfg.Conntrack.Min, conntrackMin))), conntrackCap)
	cur, err := os.ReadFile(nfConntrackMax)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(cur)) == strconv.Itoa(want) {
		return
	}
	if err := os.WriteFile(nfConntrackMax, []byte(strconv.Itoa(want)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("nf_conntrack_max %s -> %d, as kube-proxy sets it for %d CPUs (nodes' network namespaces cannot write it)", strings.TrimSpace(string(cur)), want, cpus)
}

// onlineCPUs counts this machine's online CPUs as kube-proxy does (a list of ranges in sysfs).
func onlineCPUs() (int, error) {
	data, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range strings.Split(strings.TrimSpace(string(data)), ",") {
		lo, hi, isRange := strings.Cut(r, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return 0, fmt.Errorf("online CPUs %q: %w", data, err)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return 0, fmt.Errorf("online CPUs %q: %w", data, err)
			}
		}
		n += b - a + 1
	}
	return n, nil
}

// kubeProxyConfiguration returns the KubeProxyConfiguration of the bundle's kube-proxy
// ConfigMap.
func (s *suite) kubeProxyConfiguration(t *testing.T) *proxyv1alpha1.KubeProxyConfiguration {
	t.Helper()
	var found *proxyv1alpha1.KubeProxyConfiguration
	filepath.WalkDir(filepath.Join(s.out, clusterBundleDir), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var cm corev1.ConfigMap
		if yaml.Unmarshal(data, &cm) != nil || cm.Kind != "ConfigMap" || cm.Namespace != "kube-system" || cm.Name != kubeProxyDaemonSet {
			return nil
		}
		var cfg proxyv1alpha1.KubeProxyConfiguration
		if err := yaml.UnmarshalStrict([]byte(cm.Data["config.conf"]), &cfg); err != nil {
			t.Fatalf("%s: config.conf: %v", p, err)
		}
		found = &cfg
		return nil
	})
	if found == nil {
		t.Fatal("the cluster bundle has no kube-system/kube-proxy ConfigMap")
	}
	return found
}

// checkKubeProxy proves that the bundle's kube-proxy DaemonSet runs on every node and, in each
// node's network namespace, programs the rules of the kubernetes and kube-dns Services with
// the iptables programs of its image (read back with this machine's iptables-save).
func (s *suite) checkKubeProxy(t *testing.T, nodes []*node) map[string]int32 {
	superAdmin := s.superAdminConf(t)
	var ds appsv1.DaemonSet
	err := waitFor(s.ctx, "DaemonSet kube-system/"+kubeProxyDaemonSet+" ready on every node", 3*time.Minute, nil, func() error {
		out, _, err := s.kubectl(superAdmin, nil, "get", "daemonset", "-n", "kube-system", kubeProxyDaemonSet, "-o", "json")
		if err != nil {
			return err
		}
		ds = appsv1.DaemonSet{}
		decodeJSON(t, out, &ds)
		st := ds.Status
		if int(st.DesiredNumberScheduled) != len(nodes) || st.NumberReady != st.DesiredNumberScheduled {
			return fmt.Errorf("desired %d, ready %d, %d nodes", st.DesiredNumberScheduled, st.NumberReady, len(nodes))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("DaemonSet %s: %d desired, %d ready", kubeProxyDaemonSet, ds.Status.DesiredNumberScheduled, ds.Status.NumberReady)
	restarts := s.podRestarts(t, "k8s-app=kube-proxy")

	services := map[string]string{
		"default/kubernetes:https": s.cluster.KubernetesServiceIPs()[0].String(),
		"kube-system/kube-dns:dns": s.cluster.ClusterDNSIPs()[0].String(),
	}
	for _, n := range nodes {
		var rules string
		err := waitFor(s.ctx, "service rules on "+n.host.name, time.Minute, []*process{n.kubelet}, func() error {
			cmd := exec.Command("nsenter", "--net=/run/netns/"+n.host.netns(), "--", "iptables-save", "-t", "nat")
			stdout, _, err := runBounded(s.ctx, cmd, clientTimeout, nil)
			if err != nil {
				return err
			}
			rules = stdout
			for svc, ip := range services {
				if !serviceRule(rules, svc, ip) {
					return fmt.Errorf("no KUBE-SERVICES rule for %s (%s)", svc, ip)
				}
			}
			return nil
		})
		if err != nil {
			t.Error(err)
			continue
		}
		t.Logf("%s$ iptables-save -t nat | grep KUBE-SERVICES (%d rules in all)\n%s", n.host.name, strings.Count(rules, "\n-A "), grepLines(rules, "-A KUBE-SERVICES -d"))
	}
	return restarts
}

// podRestarts logs the kube-system pods a label selects and returns each one's restart
// count, "kube-system/name" -> count.
func (s *suite) podRestarts(t *testing.T, selector string) map[string]int32 {
	t.Helper()
	superAdmin := s.superAdminConf(t)
	out, _, err := s.kubectl(superAdmin, nil, "get", "pods", "-n", "kube-system", "-l", selector, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var pods corev1.PodList
	decodeJSON(t, out, &pods)
	restarts := map[string]int32{}
	for _, p := range pods.Items {
		for _, cs := range p.Status.ContainerStatuses {
			restarts[p.Namespace+"/"+p.Name] = cs.RestartCount
		}
	}
	out, _, _ = s.kubectl(superAdmin, nil, "get", "pods", "-n", "kube-system", "-l", selector, "-o", "wide")
	t.Logf("$ kubectl get pods -n kube-system -l %s -o wide\n%s", selector, strings.TrimSpace(out))
	return restarts
}

// serviceRule reports whether iptables-save output has kube-proxy's rule for a service's
// cluster IP.
func serviceRule(rules, svc, ip string) bool {
	for _, l := range strings.Split(rules, "\n") {
		if strings.HasPrefix(l, "-A KUBE-SERVICES -d "+ip+"/32 ") && strings.Contains(l, svc) {
			return true
		}
	}
	return false
}
