package compiler

import (
	"fmt"
	"slices"
)

// Port is one entry of the port table: what listens where, and who must reach it. The same
// table drives the component flags, the probes and the firewalld rules, so a custom port
// changes all three together.
type Port struct {
	// Name identifies the entry, e.g. "kube-apiserver".
	Name     string
	From, To int
	Protocol string
	// Roles whose hosts open the port (any of them).
	Roles []Role
	// LoopbackOnly ports are bound to 127.0.0.1 and never opened in the firewall.
	LoopbackOnly bool
	// Source is the description field that decides the entry ("" for ports Kubernetes fixes).
	Source string
}

func (p Port) String() string {
	if p.From == p.To {
		return fmt.Sprintf("%d/%s", p.From, p.Protocol)
	}
	return fmt.Sprintf("%d-%d/%s", p.From, p.To, p.Protocol)
}

// Well-known ports kubeadm uses.
const (
	PortEtcdClient        = 2379
	PortEtcdPeer          = 2380
	PortEtcdMetrics       = 2381
	PortKubelet           = 10250
	PortKubeletHealthz    = 10248
	PortControllerManager = 10257
	PortScheduler         = 10259
)

// Port names in the table.
const (
	PortNameAPIServer         = "kube-apiserver"
	PortNameEtcdClient        = "etcd-client"
	PortNameEtcdPeer          = "etcd-peer"
	PortNameEtcdMetrics       = "etcd-metrics"
	PortNameKubelet           = "kubelet"
	PortNameControllerManager = "kube-controller-manager"
	PortNameScheduler         = "kube-scheduler"
	PortNameNodePorts         = "nodeports"
)

// Ports returns the cluster's port table.
func (c *Cluster) Ports() []Port {
	cp := []Role{RoleControlPlane}
	etcd := []Role{RoleControlPlane}
	if c.Etcd.Topology == EtcdDedicated {
		etcd = []Role{RoleEtcd}
	}
	ports := []Port{
		{Name: PortNameAPIServer, From: c.APIServer.BindPort, To: c.APIServer.BindPort, Protocol: "tcp", Roles: cp, Source: "apiServer.bindPort"},
		{Name: PortNameKubelet, From: PortKubelet, To: PortKubelet, Protocol: "tcp", Roles: []Role{RoleControlPlane, RoleEtcd, RoleWorker}},
		// kubeadm binds the controller-manager and scheduler to 127.0.0.1: no firewall rule.
		{Name: PortNameControllerManager, From: PortControllerManager, To: PortControllerManager, Protocol: "tcp", Roles: cp, LoopbackOnly: !bindsBeyondLoopback(c.ControllerManager.ExtraArgs), Source: `controllerManager.extraArgs["bind-address"]`},
		{Name: PortNameScheduler, From: PortScheduler, To: PortScheduler, Protocol: "tcp", Roles: cp, LoopbackOnly: !bindsBeyondLoopback(c.Scheduler.ExtraArgs), Source: `scheduler.extraArgs["bind-address"]`},
		{Name: PortNameNodePorts, From: c.Network.NodePorts.From, To: c.Network.NodePorts.To, Protocol: "tcp", Roles: []Role{RoleWorker}, Source: "networking.nodePortRange"},
	}
	if c.Etcd.Topology != EtcdExternal {
		ports = append(ports,
			Port{Name: PortNameEtcdClient, From: PortEtcdClient, To: PortEtcdClient, Protocol: "tcp", Roles: etcd, Source: "etcd.topology"},
			Port{Name: PortNameEtcdPeer, From: PortEtcdPeer, To: PortEtcdPeer, Protocol: "tcp", Roles: etcd, Source: "etcd.topology"},
			Port{Name: PortNameEtcdMetrics, From: PortEtcdMetrics, To: PortEtcdMetrics, Protocol: "tcp", Roles: etcd, LoopbackOnly: true, Source: "etcd.topology"},
		)
	}
	for i, p := range c.Firewall.ExtraPorts {
		p.Name = fmt.Sprintf("extra-%d", i)
		p.Source = fmt.Sprintf("firewall.extraPorts[%d]", i)
		ports = append(ports, p)
	}
	return ports
}

// PortsFor returns the table entries a host opens in its firewall, sorted by port.
func (c *Cluster) PortsFor(h *Host) []Port {
	var out []Port
	for _, p := range c.Ports() {
		if p.LoopbackOnly {
			continue
		}
		if slices.ContainsFunc(p.Roles, h.Has) {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b Port) int {
		if a.From != b.From {
			return a.From - b.From
		}
		return a.To - b.To
	})
	return out
}

// PortNamed returns the table entry with the given name.
func (c *Cluster) PortNamed(name string) Port {
	for _, p := range c.Ports() {
		if p.Name == name {
			return p
		}
	}
	panic("no port named " + name)
}

func bindsBeyondLoopback(args Args) bool {
	addr, ok := args["bind-address"]
	return ok && addr != "127.0.0.1" && addr != "::1" && addr != "localhost"
}
