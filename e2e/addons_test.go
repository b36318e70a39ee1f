//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	proxyv1alpha1 "k8s.io/kube-proxy/config/v1alpha1"
	"sigs.k8s.io/yaml"
)

// Names of the addons' objects, as the cluster bundle (and kubeadm) creates them.
const (
	kubeProxyDaemonSet = "kube-proxy"
	coreDNSDeployment  = "coredns"
	kubeDNSService     = "kube-dns"
)

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

// checkCoreDNS waits for the bundle's CoreDNS Deployment to have all its replicas available:
// their readiness probes pass, which needs the API through the kubernetes Service.
func (s *suite) checkCoreDNS(t *testing.T) map[string]int32 {
	superAdmin := s.superAdminConf(t)
	var d appsv1.Deployment
	err := waitFor(s.ctx, "Deployment kube-system/"+coreDNSDeployment+" available", 4*time.Minute, nil, func() error {
		out, _, err := s.kubectl(superAdmin, nil, "get", "deployment", "-n", "kube-system", coreDNSDeployment, "-o", "json")
		if err != nil {
			return err
		}
		d = appsv1.Deployment{}
		decodeJSON(t, out, &d)
		want := ptrOr(d.Spec.Replicas, 1)
		if d.Status.AvailableReplicas != want || d.Status.UpdatedReplicas != want {
			return fmt.Errorf("%d of %d replicas available", d.Status.AvailableReplicas, want)
		}
		return nil
	})
	if err != nil {
		if out, _, err := s.kubectl(superAdmin, nil, "describe", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns"); err == nil {
			t.Logf("$ kubectl describe pods -n kube-system -l k8s-app=kube-dns\n%s", tail(out, 60))
		}
		t.Fatal(err)
	}
	t.Logf("Deployment %s: %d/%d available", coreDNSDeployment, d.Status.AvailableReplicas, ptrOr(d.Spec.Replicas, 1))
	return s.podRestarts(t, "k8s-app=kube-dns")
}

// Test pod of the suite.
const (
	testPodName      = "kubeforge-e2e-toolbox"
	testPodNamespace = "default"
	testPodGreeting  = "kubeforge-e2e: toolbox started"
	saDir            = "/var/run/secrets/kubernetes.io/serviceaccount"
)

// testPodNode returns the worker with the fewest CoreDNS pods, where the test pod runs: at
// least one CoreDNS pod is then on another node, and its answers cross the pod network.
func (s *suite) testPodNode(t *testing.T) *simHost {
	t.Helper()
	out, _, err := s.kubectl(s.superAdminConf(t), nil, "get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns", "-o", `jsonpath={range .items[*]}{.spec.nodeName}{"\n"}{end}`)
	if err != nil {
		t.Fatal(err)
	}
	onNode := map[string]int{}
	for _, n := range strings.Fields(out) {
		onNode[n]++
	}
	ws := s.workers()
	best := ws[len(ws)-1]
	for _, w := range ws {
		if onNode[w.nodeName] < onNode[best.nodeName] {
			best = w
		}
	}
	return best
}

// testPod returns the suite's pod on node: the toolbox image, its greeting in the log, and a
// short grace period (busybox's sleep as PID 1 ignores SIGTERM).
func testPod(node string) []byte {
	p := corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: testPodName, Namespace: testPodNamespace},
		Spec: corev1.PodSpec{
			NodeSelector:                  map[string]string{corev1.LabelHostname: node},
			TerminationGracePeriodSeconds: ptrTo(int64(1)),
			Containers: []corev1.Container{{
				Name: "toolbox", Image: toolboxImage, ImagePullPolicy: corev1.PullNever,
				Command: []string{"sh", "-c", "echo '" + testPodGreeting + "'; exec sleep 86400"},
			}},
		},
	}
	data, err := yaml.Marshal(p)
	if err != nil {
		panic(err)
	}
	return data
}

// checkTestPod runs a pod on a worker and proves, from inside it, what a workload needs of the
// cluster: its resolv.conf names the kubelets' clusterDNS; kubernetes.default.svc.cluster.local
// resolves to the kubernetes Service IP through the kube-dns Service (CoreDNS behind
// kube-proxy) and through each CoreDNS pod directly (pod to pod, across nodes); the pod's
// service-account token is accepted by the apiserver it reaches at https://kubernetes.default.svc
// (DNS search path, kube-proxy, the service CA); and kubectl logs and exec reach it (apiserver
// to kubelet with the apiserver-kubelet-client certificate).
func (s *suite) checkTestPod(t *testing.T, h *simHost) {
	superAdmin := s.superAdminConf(t)
	if _, _, err := s.kubectl(superAdmin, testPod(h.nodeName), "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	var p corev1.Pod
	err := waitFor(s.ctx, "pod "+testPodName+" Running", 2*time.Minute, nil, func() error {
		out, _, err := s.kubectl(superAdmin, nil, "get", "pod", "-n", testPodNamespace, testPodName, "-o", "json")
		if err != nil {
			return err
		}
		p = corev1.Pod{}
		decodeJSON(t, out, &p)
		return podReady(&p)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pod %s Running on %s with IP %s", testPodName, p.Spec.NodeName, p.Status.PodIP)
	if p.Spec.NodeName != h.nodeName {
		t.Errorf("pod on %s, want %s", p.Spec.NodeName, h.nodeName)
	}
	inPod := func(args ...string) (string, error) {
		out, stderr, err := s.kubectl(superAdmin, nil, append([]string{"exec", "-n", testPodNamespace, testPodName, "--"}, args...)...)
		if err != nil {
			return out + stderr, err
		}
		return out, nil
	}

	logs, _, err := s.kubectl(superAdmin, nil, "logs", "-n", testPodNamespace, testPodName)
	if err != nil || !strings.Contains(logs, testPodGreeting) {
		t.Errorf("kubectl logs %s: %v: %q", testPodName, err, logs)
	} else {
		t.Logf("$ kubectl logs %s\n%s", testPodName, strings.TrimSpace(logs))
	}

	kc := s.kubeletConfig(t, h)
	dnsIP := kc.ClusterDNS[0]
	resolv, err := inPod("cat", "/etc/resolv.conf")
	if err != nil {
		t.Fatalf("kubectl exec: %v: %s", err, resolv)
	}
	t.Logf("$ kubectl exec %s -- cat /etc/resolv.conf\n%s", testPodName, strings.TrimSpace(resolv))
	if !strings.Contains(resolv, "nameserver "+dnsIP+"\n") || !strings.Contains(resolv, "search "+testPodNamespace+".svc."+kc.ClusterDomain) {
		t.Errorf("the pod's resolv.conf does not name the clusterDNS %s and the search path of %s", dnsIP, kc.ClusterDomain)
	}

	name := "kubernetes.default.svc." + kc.ClusterDomain
	want := s.cluster.KubernetesServiceIPs()[0].String()
	servers := []string{dnsIP}
	podIPs, _, err := s.kubectl(superAdmin, nil, "get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns", "-o", `jsonpath={range .items[*]}{.status.podIP} {.spec.nodeName}{"\n"}{end}`)
	if err != nil {
		t.Fatal(err)
	}
	otherNode := false
	for _, l := range strings.Split(strings.TrimSpace(podIPs), "\n") {
		ip, node, _ := strings.Cut(l, " ")
		servers = append(servers, ip)
		otherNode = otherNode || node != h.nodeName
	}
	if !otherNode {
		t.Errorf("no CoreDNS pod on another node than %s: pod-to-pod traffic across nodes is not shown", h.nodeName)
	}
	// Each query is repeated until it succeeds, for a minute: kube-proxy may still be writing
	// the rules of endpoints that just became ready.
	for _, server := range servers {
		var out string
		err := waitFor(s.ctx, "nslookup "+name+" "+server, time.Minute, nil, func() error {
			var err error
			if out, err = inPod("nslookup", "-type=a", name, server); err != nil {
				return fmt.Errorf("%w: %s", err, out)
			}
			if got := nslookupAnswers(out); len(got) != 1 || got[0] != want {
				return fmt.Errorf("answers %v, want %s:\n%s", got, want, out)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
			continue
		}
		t.Logf("$ kubectl exec %s -- nslookup -type=a %s %s\n%s", testPodName, name, server, strings.TrimSpace(out))
	}

	review := `{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`
	script := `curl -sS --fail-with-body --max-time 20 --cacert ` + saDir + `/ca.crt -H "Authorization: Bearer $(cat ` + saDir + `/token)" ` +
		`-H "Content-Type: application/json" -X POST --data '` + review + `' https://kubernetes.default.svc/apis/authentication.k8s.io/v1/selfsubjectreviews`
	var r authnv1.SelfSubjectReview
	err = waitFor(s.ctx, "SelfSubjectReview from inside the pod", time.Minute, nil, func() error {
		out, err := inPod("sh", "-c", script)
		if err != nil {
			return fmt.Errorf("%s: %w: %s", script, err, out)
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantUser := "system:serviceaccount:" + testPodNamespace + ":default"
	if r.Status.UserInfo.Username != wantUser {
		t.Errorf("the pod's token is %q at the apiserver, want %s", r.Status.UserInfo.Username, wantUser)
	}
	t.Logf("$ kubectl exec %s -- curl --cacert %s/ca.crt -H 'Authorization: Bearer <token>' -X POST https://kubernetes.default.svc/apis/authentication.k8s.io/v1/selfsubjectreviews: %s %v",
		testPodName, saDir, r.Status.UserInfo.Username, r.Status.UserInfo.Groups)
}

// nslookupAnswers returns the addresses busybox nslookup prints for the name it looked up
// (the "Address:" lines after "Name:", not the server's).
func nslookupAnswers(out string) []string {
	var addrs []string
	named := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "Name:") {
			named = true
			continue
		}
		if a, ok := strings.CutPrefix(l, "Address:"); ok && named {
			addrs = append(addrs, strings.TrimSpace(a))
		}
	}
	return addrs
}

// reportResources logs what the nodes use: per node, the memory of its pods (the cgroup root's
// resident memory) and of its kubelet, containerd and runtime shims.
func (s *suite) reportResources(t *testing.T, nodes []*node) {
	var total int64
	for _, n := range nodes {
		pods := cgroupRSS(filepath.Join("/sys/fs/cgroup/memory", n.cgroupRoot))
		agents := processRSS(n.kubelet.cmd.Process.Pid) + processRSS(n.containerd.cmd.Process.Pid)
		for _, pid := range markedProcesses(n.marker()) {
			if pid != n.containerd.cmd.Process.Pid {
				agents += processRSS(pid)
			}
		}
		total += pods + agents
		t.Logf("%s: pods %d MiB, kubelet+containerd+shims %d MiB", n.host.name, pods>>20, agents>>20)
	}
	t.Logf("all nodes: %d MiB resident", total>>20)
}

// cgroupRSS returns the resident memory (rss + mapped files) a v1 memory cgroup's tree uses.
func cgroupRSS(dir string) int64 {
	data, err := os.ReadFile(filepath.Join(dir, "memory.stat"))
	if err != nil {
		return 0
	}
	var sum int64
	for _, l := range strings.Split(string(data), "\n") {
		k, v, _ := strings.Cut(l, " ")
		if k == "total_rss" || k == "total_mapped_file" {
			n, _ := strconv.ParseInt(v, 10, 64)
			sum += n
		}
	}
	return sum
}

// processRSS returns a process's resident memory.
func processRSS(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// ptrTo returns a pointer to v.
func ptrTo[T any](v T) *T { return &v }
