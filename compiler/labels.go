package compiler

import (
	"maps"
	"slices"
	"strings"
)

// Under NodeRestriction a kubelet may set on its own Node only labels outside the
// kubernetes.io and k8s.io namespaces, or inside them under these prefixes and keys.
var kubeletAllowedPrefixes = []string{"kubelet.kubernetes.io/", "node.kubernetes.io/"}

var kubeletAllowedKeys = []string{
	"beta.kubernetes.io/arch", "beta.kubernetes.io/instance-type", "beta.kubernetes.io/os",
	"failure-domain.beta.kubernetes.io/region", "failure-domain.beta.kubernetes.io/zone",
	"kubernetes.io/arch", "kubernetes.io/hostname", "kubernetes.io/os",
	"node.kubernetes.io/instance-type", "topology.kubernetes.io/region", "topology.kubernetes.io/zone",
}

// LabelControlPlane is the role label kubeadm puts on control-plane nodes.
const LabelControlPlane = "node-role.kubernetes.io/control-plane"

// LabelExcludeFromLB keeps control-plane nodes out of external load balancers, as kubeadm does.
const LabelExcludeFromLB = "node.kubernetes.io/exclude-from-external-load-balancers"

func kubeletMaySet(key string) bool {
	prefix, _, found := strings.Cut(key, "/")
	if !found {
		return true
	}
	restricted := prefix == "kubernetes.io" || strings.HasSuffix(prefix, ".kubernetes.io") ||
		prefix == "k8s.io" || strings.HasSuffix(prefix, ".k8s.io")
	if !restricted {
		return true
	}
	return slices.Contains(kubeletAllowedKeys, key) ||
		slices.ContainsFunc(kubeletAllowedPrefixes, func(p string) bool { return strings.HasPrefix(key, p) })
}

// NodeLabels returns every label the host's Node should carry: the description's labels and,
// on control-plane hosts, kubeadm's role labels.
func (h *Host) NodeLabels() map[string]string {
	out := maps.Clone(h.Labels)
	if out == nil {
		out = map[string]string{}
	}
	if h.Has(RoleControlPlane) {
		out[LabelControlPlane] = ""
		out[LabelExcludeFromLB] = ""
	}
	return out
}

// KubeletLabels returns the node labels the kubelet may register itself (--node-labels).
func (h *Host) KubeletLabels() map[string]string {
	out := map[string]string{}
	for k, v := range h.NodeLabels() {
		if kubeletMaySet(k) {
			out[k] = v
		}
	}
	return out
}

// APILabels returns the node labels NodeRestriction forbids the kubelet to set, which the
// cluster bundle applies through the API instead.
func (h *Host) APILabels() map[string]string {
	out := map[string]string{}
	for k, v := range h.NodeLabels() {
		if !kubeletMaySet(k) {
			out[k] = v
		}
	}
	return out
}
