package clusterbundle

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kubeforge.dev/kubeforge/compiler"
)

// nodeManifests returns a Node per registering host that has labels or taints, carrying all
// of them; see Notes for why all and not only what NodeRestriction keeps from the kubelet.
//
// A kubelet that finds its Node already there adopts it and adds only its default labels
// (hostname, os, arch): neither --node-labels nor registerWithTaints are applied then. So a
// Node applied before its kubelet registers must hold every label and taint itself. Applied
// after registration, kubectl merges the labels into the kubelet's and sets the taints the
// kubelet registered with (the same list, from the same description).
func nodeManifests(c *compiler.Cluster) []manifest {
	var ms []manifest
	for _, h := range c.Hosts {
		// A dedicated etcd host's kubelet runs standalone and never registers a Node.
		if c.EtcdOnly(h) {
			continue
		}
		labels := h.NodeLabels()
		if len(labels) == 0 && len(h.Taints) == 0 {
			continue
		}
		n := &corev1.Node{
			TypeMeta:   coreType("Node"),
			ObjectMeta: metav1.ObjectMeta{Name: h.NodeName, Labels: maps.Clone(labels)},
		}
		for _, t := range h.Taints {
			n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: t.Key, Value: t.Value, Effect: corev1.TaintEffect(t.Effect)})
		}
		ms = append(ms, manifest{section: sectionNodes, obj: n, sources: nodeSources(h)})
	}
	return ms
}

// nodeSources names where a host's labels and taints can come from.
func nodeSources(h *compiler.Host) []string {
	src := []string{h.Field("roles"), h.Field("labels"), h.Field("taints")}
	if h.Group != "" {
		src = append(src, "groups."+h.Group+".labels", "groups."+h.Group+".taints")
	}
	return append(src, "hostDefaults.labels", "hostDefaults.taints")
}
