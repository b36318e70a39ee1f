//go:build e2e

package e2e

import (
	"maps"
	"testing"
	"time"
)

// bootedCluster is the compiled cluster running on this machine as its nodes would run it:
// every node Ready, kube-proxy and CoreDNS ready.
type bootedCluster struct {
	nodes []*node
	// ready holds the restart count of every system pod ("namespace/name") when it was
	// first Ready.
	ready map[string]int32
}

// bootCluster starts every host's containerd and kubelet from its bundle, with the images the
// bundles name and extraImages imported on every node; waits for the control plane the
// kubelets run from the static pod manifests; applies the cluster bundle; gives every node a
// pod network; and waits for the bundle's kube-proxy and CoreDNS. Any step that fails ends the
// test: nothing after it could be shown.
func (s *suite) bootCluster(t *testing.T, began time.Time, extraImages []string) *bootedCluster {
	t.Helper()
	c := &bootedCluster{ready: map[string]int32{}}
	c.nodes = s.startNodes(t, extraImages)
	t.Logf("%d nodes started after %s", len(c.nodes), time.Since(began).Round(time.Second))
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"control plane runs as containers of static pods, mirror pods Running and Ready", func(t *testing.T) {
			maps.Copy(c.ready, s.checkStaticPodContainers(t, c.nodes))
		}},
		{"cluster bundle applies", func(t *testing.T) {
			s.presetConntrackMax(t)
			s.applyClusterBundle(t)
		}},
		{"pod network: every node Ready", func(t *testing.T) {
			s.setUpPodNetwork(t, c.nodes)
			s.waitNodesReady(t, c.nodes)
		}},
		{"kube-proxy runs on every node and programs service rules", func(t *testing.T) {
			maps.Copy(c.ready, s.checkKubeProxy(t, c.nodes))
		}},
		{"CoreDNS ready", func(t *testing.T) { maps.Copy(c.ready, s.checkCoreDNS(t)) }},
	}
	for _, step := range steps {
		if !t.Run(step.name, step.run) {
			t.FailNow()
		}
	}
	t.Logf("cluster booted after %s", time.Since(began).Round(time.Second))
	return c
}
