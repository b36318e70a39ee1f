package compiler

import (
	"fmt"
	"net/netip"
	"strings"
)

// nthAddr returns the n-th address after the prefix's network address.
func nthAddr(p netip.Prefix, n int) netip.Addr {
	a := p.Masked().Addr()
	for range n {
		a = a.Next()
	}
	return a
}

// KubernetesServiceIPs returns the ClusterIP of the "kubernetes" service in each service
// network: its first address. The apiserver certificate must name them.
func (c *Cluster) KubernetesServiceIPs() []netip.Addr {
	out := make([]netip.Addr, len(c.Network.ServiceSubnets))
	for i, p := range c.Network.ServiceSubnets {
		out[i] = nthAddr(p, 1)
	}
	return out
}

// ClusterDNSIPs returns the cluster DNS service IP of each service network: the 10th address,
// as kubeadm chooses it.
func (c *Cluster) ClusterDNSIPs() []netip.Addr {
	out := make([]netip.Addr, len(c.Network.ServiceSubnets))
	for i, p := range c.Network.ServiceSubnets {
		out[i] = nthAddr(p, 10)
	}
	return out
}

// JoinPrefixes writes prefixes comma-separated, as component flags take them.
func JoinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// JoinAddrs writes addresses comma-separated.
func JoinAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ",")
}

// IsDualStack reports whether the cluster has networks of both families.
func (c *Cluster) IsDualStack() bool { return len(c.Network.ServiceSubnets) == 2 }

// HasIPv6 reports whether any cluster network is IPv6 (forwarding must then be on).
func (c *Cluster) HasIPv6() bool {
	for _, p := range append(append([]netip.Prefix{}, c.Network.PodSubnets...), c.Network.ServiceSubnets...) {
		if p.Addr().Is6() {
			return true
		}
	}
	return false
}

// URLHost writes an address for a URL, with brackets for IPv6.
func URLHost(a netip.Addr) string {
	if a.Is6() {
		return fmt.Sprintf("[%s]", a)
	}
	return a.String()
}
