package compiler

// kernelNeed is a kernel setting the cluster depends on.
type kernelNeed struct {
	key, value string
	// ipv6 needs hold only on clusters with an IPv6 network.
	ipv6 bool
	// written needs are in the sysctl file kubeforge writes; the others are only kept from
	// being switched off by the user's sysctls.
	written bool
	why     string
}

// kernelNeeds is the table of what Kubernetes needs from the kernel: bridged pod traffic must
// pass through iptables (kube-proxy, network policies) and nodes must route pod traffic.
var kernelNeeds = []kernelNeed{
	{key: "net.bridge.bridge-nf-call-iptables", value: "1", written: true, why: "pod traffic crossing a bridge must pass through iptables, or Services and network policies do not apply to it"},
	{key: "net.bridge.bridge-nf-call-ip6tables", value: "1", written: true, why: "pod traffic crossing a bridge must pass through ip6tables, or Services and network policies do not apply to it"},
	{key: "net.ipv4.ip_forward", value: "1", written: true, why: "nodes route pod and Service traffic"},
	{key: "net.ipv4.conf.all.forwarding", value: "1", why: "it is the same switch as net.ipv4.ip_forward: nodes route pod and Service traffic"},
	{key: "net.ipv6.conf.all.forwarding", value: "1", ipv6: true, written: true, why: "the cluster has an IPv6 network and nodes route its traffic"},
	{key: "net.ipv6.conf.all.disable_ipv6", value: "0", ipv6: true, why: "the cluster has an IPv6 network"},
}

// applies reports whether the need holds for c.
func (n kernelNeed) applies(c *Cluster) bool { return !n.ipv6 || c.HasIPv6() }

// RequiredSysctls returns the settings kubeforge writes to the sysctl file before the user's
// sysctls, by key.
func (c *Cluster) RequiredSysctls() map[string]string {
	out := map[string]string{}
	for _, n := range kernelNeeds {
		if n.written && n.applies(c) {
			out[n.key] = n.value
		}
	}
	return out
}
