package clusterbundle

import (
	"maps"
	"slices"
	"testing"

	"kubeforge.dev/kubeforge/compiler/compilertest"

	corev1 "k8s.io/api/core/v1"

	"kubeforge.dev/kubeforge/compiler"
)

// nodesOf returns the bundle's Nodes by name.
func nodesOf(t *testing.T, c *compiler.Cluster) map[string]*corev1.Node {
	t.Helper()
	out := map[string]*corev1.Node{}
	for _, n := range find[*corev1.Node](decodeBundle(t, render(t, c)), nil) {
		if out[n.Name] != nil {
			t.Errorf("two Nodes named %s", n.Name)
		}
		out[n.Name] = n
	}
	return out
}

func TestControlPlaneRoleLabelThroughTheBundle(t *testing.T) {
	c := compilertest.Load(t, "../../examples/ha.yaml")
	nodes := nodesOf(t, c)
	cps := c.HostsWith(compiler.RoleControlPlane)
	if len(cps) != 3 {
		t.Fatalf("ha.yaml has %d control-plane hosts, want 3", len(cps))
	}
	for _, h := range cps {
		n := nodes[h.NodeName]
		if n == nil {
			t.Fatalf("no Node for control-plane host %s", h.Name)
		}
		// The one label NodeRestriction keeps the kubelet from setting: only the bundle can.
		if v, ok := n.Labels["node-role.kubernetes.io/control-plane"]; !ok || v != "" {
			t.Errorf("%s: labels %v lack node-role.kubernetes.io/control-plane", h.Name, n.Labels)
		}
		if _, ok := n.Labels["node.kubernetes.io/exclude-from-external-load-balancers"]; !ok {
			t.Errorf("%s: labels %v lack exclude-from-external-load-balancers", h.Name, n.Labels)
		}
		// kubeadm's mark-control-plane taint, so that workloads stay off.
		want := corev1.Taint{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule}
		if !slices.Contains(n.Spec.Taints, want) {
			t.Errorf("%s: taints %v lack %v", h.Name, n.Spec.Taints, want)
		}
	}
	for _, h := range c.HostsWith(compiler.RoleWorker) {
		if n := nodes[h.NodeName]; n != nil {
			if _, ok := n.Labels["node-role.kubernetes.io/control-plane"]; ok {
				t.Errorf("worker %s labelled control-plane", h.Name)
			}
		}
	}
}

// Every Node carries all its host's labels and taints, so that a kubelet registering after
// the Node exists (and then applying neither --node-labels nor registerWithTaints) ends up
// with the same Node as one registering before.
func TestNodesCarryAllLabelsAndTaints(t *testing.T) {
	forEachCluster(t, func(t *testing.T, c *compiler.Cluster) {
		nodes := nodesOf(t, c)
		for _, h := range c.Hosts {
			n := nodes[h.NodeName]
			if c.EtcdOnly(h) {
				if n != nil {
					t.Errorf("Node for dedicated etcd host %s, whose kubelet never registers", h.Name)
				}
				continue
			}
			if len(h.NodeLabels()) == 0 && len(h.Taints) == 0 {
				if n != nil {
					t.Errorf("Node for %s, which has nothing to apply", h.Name)
				}
				continue
			}
			if n == nil {
				t.Errorf("no Node for %s (labels %v, taints %v)", h.Name, h.NodeLabels(), h.Taints)
				continue
			}
			if !maps.Equal(n.Labels, h.NodeLabels()) {
				t.Errorf("%s: labels %v, want %v", h.Name, n.Labels, h.NodeLabels())
			}
			for k := range h.APILabels() {
				if _, ok := n.Labels[k]; !ok {
					t.Errorf("%s: label %s, which only the API can set, missing", h.Name, k)
				}
			}
			var want []corev1.Taint
			for _, tn := range h.Taints {
				want = append(want, corev1.Taint{Key: tn.Key, Value: tn.Value, Effect: corev1.TaintEffect(tn.Effect)})
			}
			if !slices.Equal(n.Spec.Taints, want) {
				t.Errorf("%s: taints %v, want %v", h.Name, n.Spec.Taints, want)
			}
		}
	})
}

func TestCustomTaintsReachTheNode(t *testing.T) {
	nodes := nodesOf(t, compilertest.LoadYAML(t, everythingYAML))
	w1 := nodes["w1"]
	if w1 == nil {
		t.Fatal("no Node for w1, which has a taint")
	}
	want := []corev1.Taint{{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule}}
	if !slices.Equal(w1.Spec.Taints, want) {
		t.Errorf("w1 taints %v, want %v", w1.Spec.Taints, want)
	}
}

func TestDedicatedEtcdHostsGetNoNode(t *testing.T) {
	c := compilertest.Load(t, "../../examples/dedicated-etcd.yaml")
	nodes := nodesOf(t, c)
	etcd := c.HostsWith(compiler.RoleEtcd)
	if len(etcd) == 0 {
		t.Fatal("dedicated-etcd.yaml has no etcd host")
	}
	for _, h := range etcd {
		if nodes[h.NodeName] != nil {
			t.Errorf("Node for etcd host %s", h.Name)
		}
	}
	if nodes["cp1"] == nil {
		t.Error("no Node for control-plane host cp1")
	}
}

// A host that is control plane and worker at once keeps the role label but takes workloads.
func TestControlPlaneWorkerIsLabelledNotTainted(t *testing.T) {
	n := nodesOf(t, compilertest.Load(t, "../../examples/single-node.yaml"))["lab1"]
	if n == nil {
		t.Fatal("no Node for lab1")
	}
	if _, ok := n.Labels["node-role.kubernetes.io/control-plane"]; !ok {
		t.Errorf("labels %v lack node-role.kubernetes.io/control-plane", n.Labels)
	}
	if len(n.Spec.Taints) != 0 {
		t.Errorf("taints %v on a host that is also a worker", n.Spec.Taints)
	}
}
