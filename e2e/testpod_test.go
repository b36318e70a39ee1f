//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

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

// ptrTo returns a pointer to v.
func ptrTo[T any](v T) *T { return &v }
