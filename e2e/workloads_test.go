//go:build e2e

package e2e

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestWorkloads boots the compiled cluster the way its nodes run it: every host runs its own
// containerd and its kubelet, started from its bundle as systemd would; the kubelets run the
// control plane from the static pod manifests as containers of images built from the real
// binaries; then the cluster bundle is applied, a pod network is set up, kube-proxy and
// CoreDNS run, and a test pod on a worker uses DNS and the API through the kubernetes Service.
func TestWorkloads(t *testing.T) {
	began := time.Now()
	t.Cleanup(func() { t.Logf("total time, setup to cleanup: %s", time.Since(began).Round(time.Second)) })
	s := newSuite(t)
	t.Logf("setup (network, CLI build, compile) took %s", time.Since(began).Round(time.Second))
	testNode := s.workers()[len(s.workers())-1]
	nodes := s.startNodes(t, testNode)
	t.Logf("%d nodes started after %s", len(nodes), time.Since(began).Round(time.Second))

	// Restart counts of the system pods when they were Ready, "namespace/name" -> count.
	ready := map[string]int32{}
	if !t.Run("control plane runs as containers of static pods, mirror pods Running and Ready", func(t *testing.T) {
		maps.Copy(ready, s.checkStaticPodContainers(t, nodes))
	}) {
		t.FailNow()
	}
	t.Run("etcd members form a cluster over TLS", func(t *testing.T) { s.checkEtcd(t, nil) })
	s.presetConntrackMax(t)
	s.applyClusterBundle(t)
	// The apiserver's rights on the kubelets' API come with the bundle's RBAC.
	for _, n := range nodes {
		t.Run("kubelet of "+n.host.name+" runs from its bundle", func(t *testing.T) { s.checkKubeletNode(t, n) })
	}
	if !t.Run("pod network: every node Ready", func(t *testing.T) {
		s.setUpPodNetwork(t, nodes)
		s.waitNodesReady(t, nodes)
	}) {
		t.FailNow()
	}
	t.Run("kube-proxy runs on every node and programs service rules", func(t *testing.T) {
		maps.Copy(ready, s.checkKubeProxy(t, nodes))
	})
	t.Run("CoreDNS ready", func(t *testing.T) { maps.Copy(ready, s.checkCoreDNS(t)) })
	t.Run("test pod on "+testNode.name+": DNS, API through kube-proxy, logs and exec", func(t *testing.T) { s.checkTestPod(t, testNode) })
	t.Run("system pods did not restart since Ready", func(t *testing.T) { s.checkNoRestarts(t, ready) })
	s.reportResources(t, nodes)
	t.Logf("checks done after %s", time.Since(began).Round(time.Second))
}

// startNodes builds the images, then starts every host's containerd and kubelet from its
// bundle (in parallel) and registers their shutdown; the kernel settings the kubelets change
// are restored after the last one stops. The toolbox image goes to testNode only.
func (s *suite) startNodes(t *testing.T, testNode *simHost) []*node {
	t.Helper()
	for _, tool := range append(slices.Clone(runtimeTools), "sysctl", "iptables-save") {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: the kubelet-driven suite needs Debian's containerd, runc, iptables and procps (e2e/run.sh installs them)", tool)
		}
	}
	for _, plugin := range []string{"bridge", "host-local", "loopback", "portmap"} {
		if _, err := os.Stat(filepath.Join(cniBinDir, plugin)); err != nil {
			t.Fatalf("CNI plugin %s missing in %s: install Debian's containernetworking-plugins (e2e/run.sh does)", plugin, cniBinDir)
		}
	}
	hs, err := cgroupHierarchies()
	if err != nil {
		t.Fatal(err)
	}
	if err := saveTunables(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		msgs, errs := restoreTunables()
		for _, m := range msgs {
			t.Logf("kernel settings the kubelets changed: %s", m)
		}
		for _, err := range errs {
			t.Errorf("cleanup: %v", err)
		}
	})

	workloads := s.bundleWorkloads(t)
	var shared []string // every node may run the bundle's workloads
	var sharedPaths []hostPathUse
	for _, w := range workloads {
		shared = append(shared, podImages(w.spec)...)
		sharedPaths = append(sharedPaths, hostPathUses(w.spec)...)
	}
	shared = append(shared, s.cluster.PauseImage())
	type plan struct {
		n      *node
		images []string
		paths  []hostPathUse
	}
	var plans []plan
	all := []string{toolboxImage}
	for _, h := range s.hosts {
		pods, err := staticPods(h)
		if err != nil {
			t.Fatal(err)
		}
		p := plan{n: s.newNode(t, h), images: slices.Clone(shared), paths: slices.Clone(sharedPaths)}
		for _, sp := range pods {
			p.images = append(p.images, podImages(sp.pod.Spec)...)
			p.paths = append(p.paths, hostPathUses(sp.pod.Spec)...)
		}
		if h == testNode {
			p.images = append(p.images, toolboxImage)
		}
		slices.Sort(p.images)
		p.images = slices.Compact(p.images)
		all = append(all, p.images...)
		plans = append(plans, p)
	}
	archives := s.buildImages(t, all)

	var nodes []*node
	for _, p := range plans {
		nodes = append(nodes, p.n)
	}
	t.Cleanup(func() {
		var wg sync.WaitGroup
		msgs := make([]string, len(nodes))
		errs := make([]error, len(nodes))
		for i, n := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				msgs[i], errs[i] = n.stop(hs)
			}()
		}
		wg.Wait()
		clean := true
		for i := range nodes {
			t.Log(msgs[i])
			if errs[i] != nil {
				t.Errorf("cleanup: %v", errs[i])
				clean = false
			}
			s.copyContainerLogs(nodes[i])
		}
		if clean {
			os.Remove(cgroupRootState)
		}
	})

	var wg sync.WaitGroup
	errs := make([]error, len(plans))
	for i, p := range plans {
		var files []string
		for _, ref := range p.images {
			files = append(files, archives[ref])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.startNode(t, p.n, hs, p.paths, files)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return nodes
}

// copyContainerLogs copies the logs of n's containers (kept by the kubelet under
// /var/log/pods) to the run's logs, as HOST-pod-NAMESPACE_POD_CONTAINER-N.log.
func (s *suite) copyContainerLogs(n *node) {
	root := n.path("/var/log/pods")
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".log") {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		parts := strings.Split(rel, string(filepath.Separator)) // NS_POD_UID/CONTAINER/N.log
		if len(parts) != 3 {
			return nil
		}
		podID := parts[0]
		if i := strings.LastIndex(podID, "_"); i > 0 {
			podID = podID[:i]
		}
		data, err := os.ReadFile(p)
		if err == nil {
			os.WriteFile(filepath.Join(s.logs, fmt.Sprintf("%s-pod-%s_%s-%s", n.host.name, podID, parts[1], parts[2])), data, 0o644)
		}
		return nil
	})
}

// mirrorPod returns the mirror pod of a static pod (NAME-NODE), or an error until it exists.
func (s *suite) mirrorPod(t *testing.T, sp staticPod) (*corev1.Pod, error) {
	out, _, err := s.kubectl(s.superAdminConf(t), nil, "get", "pod", "-n", sp.pod.Namespace, sp.pod.Name+"-"+sp.host.nodeName, "-o", "json")
	if err != nil {
		return nil, err
	}
	var p corev1.Pod
	decodeJSON(t, out, &p)
	return &p, nil
}

// podReady returns nil when the pod is Running with its Ready condition true, and otherwise
// what it is.
func podReady(p *corev1.Pod) error {
	if p.Status.Phase != corev1.PodRunning {
		return fmt.Errorf("phase %s", p.Status.Phase)
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			if c.Status != corev1.ConditionTrue {
				return fmt.Errorf("Ready %s: %s %s", c.Status, c.Reason, c.Message)
			}
			return nil
		}
	}
	return fmt.Errorf("no Ready condition")
}

// checkStaticPodContainers proves that the kubelets run every static pod of every bundle as
// a container of the image its manifest names, and that the mirror pods are Running and Ready:
// the manifests' startup and readiness probes pass when the kubelet runs them. It returns
// each container's restart count at that moment.
func (s *suite) checkStaticPodContainers(t *testing.T, nodes []*node) map[string]int32 {
	restarts := map[string]int32{}
	for _, n := range nodes {
		pods, err := staticPods(n.host)
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range pods {
			ctr, err := sp.container()
			if err != nil {
				t.Fatal(err)
			}
			var p *corev1.Pod
			err = waitFor(s.ctx, "mirror pod of "+sp.name()+" Running and Ready", 5*time.Minute, []*process{n.kubelet, n.containerd}, func() error {
				if p, err = s.mirrorPod(t, sp); err != nil {
					return err
				}
				return podReady(p)
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := p.Annotations["kubernetes.io/config.mirror"]; !ok {
				t.Errorf("%s is not a mirror pod (no kubernetes.io/config.mirror annotation)", p.Name)
			}
			if len(p.Status.ContainerStatuses) != 1 {
				t.Fatalf("%s: %d container statuses", p.Name, len(p.Status.ContainerStatuses))
			}
			cs := p.Status.ContainerStatuses[0]
			if !strings.HasPrefix(cs.ContainerID, "containerd://") || cs.State.Running == nil || !cs.Ready || cs.Started == nil || !*cs.Started {
				t.Errorf("%s: container %s not a running, started, ready containerd container: %+v", p.Name, cs.ContainerID, cs)
			}
			if cs.Image != ctr.Image {
				t.Errorf("%s runs image %s, the manifest names %s", p.Name, cs.Image, ctr.Image)
			}
			if p.Spec.NodeName != n.host.nodeName {
				t.Errorf("%s on node %s, want %s", p.Name, p.Spec.NodeName, n.host.nodeName)
			}
			restarts[p.Namespace+"/"+p.Name] = cs.RestartCount
			t.Logf("%s: Running and Ready on %s, %s %s, restarts %d", p.Name, p.Spec.NodeName, cs.Image, shortID(cs.ContainerID), cs.RestartCount)
		}
	}
	if len(restarts) == 0 {
		t.Fatal("no static pods in any bundle")
	}
	out, _, err := s.kubectl(s.superAdminConf(t), nil, "get", "pods", "-n", "kube-system", "-o", "wide")
	if err == nil {
		t.Logf("$ kubectl get pods -n kube-system -o wide\n%s", strings.TrimSpace(out))
	}
	return restarts
}

// checkNoRestarts proves that no container of the given pods ("namespace/name" -> restart
// count when Ready) restarted since: the manifests' liveness probes keep passing, and the
// addons keep running.
func (s *suite) checkNoRestarts(t *testing.T, ready map[string]int32) {
	superAdmin := s.superAdminConf(t)
	for key, before := range ready {
		ns, name, _ := strings.Cut(key, "/")
		out, _, err := s.kubectl(superAdmin, nil, "get", "pod", "-n", ns, name, "-o", "jsonpath={.status.containerStatuses[0].restartCount}")
		if err != nil {
			t.Error(err)
			continue
		}
		if now := strings.TrimSpace(out); now != fmt.Sprint(before) {
			t.Errorf("%s restarted since it was Ready: %d -> %s restarts", key, before, now)
		}
	}
	t.Logf("%d system pods, no restart since Ready", len(ready))
}

// shortID returns a container ID with the runtime prefix and the first 12 digits.
func shortID(id string) string {
	if i := strings.Index(id, "://"); i >= 0 && len(id) > i+3+12 {
		return id[:i+3+12]
	}
	return id
}
