//go:build e2e

package e2e

import (
	"maps"
	"testing"
	"time"
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
	nodes := s.startNodes(t)
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
	testNode := s.testPodNode(t)
	t.Run("test pod on "+testNode.name+": DNS, API through kube-proxy, logs and exec", func(t *testing.T) { s.checkTestPod(t, testNode) })
	t.Run("system pods did not restart since Ready", func(t *testing.T) { s.checkNoRestarts(t, ready) })
	s.reportResources(t, nodes)
	t.Logf("checks done after %s", time.Since(began).Round(time.Second))
}
