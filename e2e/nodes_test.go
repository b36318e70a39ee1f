//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// startNodes builds the images, then starts every host's containerd and kubelet from its
// bundle (in parallel) and registers their shutdown; the kernel settings the kubelets change
// are restored after the last one stops. Every node gets the images the bundles name and
// extraImages (the tests' own).
func (s *suite) startNodes(t *testing.T, extraImages []string) []*node {
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
	shared = append(append(shared, s.cluster.PauseImage()), extraImages...)
	type plan struct {
		n      *node
		images []string
		paths  []hostPathUse
	}
	var plans []plan
	var all []string
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
