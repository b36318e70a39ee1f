//go:build e2e

package e2e

import (
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
	c := s.bootCluster(t, began, []string{toolboxImage})

	t.Run("etcd members form a cluster over TLS", func(t *testing.T) { s.checkEtcd(t, nil) })
	// The apiserver's rights on the kubelets' API come with the bundle's RBAC.
	for _, n := range c.nodes {
		t.Run("kubelet of "+n.host.name+" runs from its bundle", func(t *testing.T) { s.checkKubeletNode(t, n) })
	}
	testNode := s.testPodNode(t)
	t.Run("test pod on "+testNode.name+": DNS, API through kube-proxy, logs and exec", func(t *testing.T) { s.checkTestPod(t, testNode) })
	t.Run("system pods did not restart since Ready", func(t *testing.T) { s.checkNoRestarts(t, c.ready) })
	s.reportResources(t, c.nodes)
	// Last, as it restarts the control plane and the kubelets: see carotation_test.go.
	rotationBegan := time.Now()
	t.Run("cluster CA rotated through its three stages on the running cluster", func(t *testing.T) { s.checkCARotation(t, c) })
	t.Logf("the CA rotation added %s", time.Since(rotationBegan).Round(time.Second))
	t.Logf("checks done after %s", time.Since(began).Round(time.Second))
}
