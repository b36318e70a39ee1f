package compiler

import (
	"fmt"
	"slices"
)

// Port is one entry of the port table: what listens where, and who must reach it. The same
// table drives the component flags, the probes and the firewalld rules, so a custom port
// changes all three together; and since it lists every listener on a host, the checks refuse
// two entries that would take the same port of one host.
type Port struct {
	// Name identifies the entry, e.g. "kube-apiserver".
	Name     string
	From, To int
	Protocol string
	// Roles whose hosts have the port (any of them): they open it in the firewall unless
	// Listen says otherwise.
	Roles []Role
	// AlsoOn are roles of further hosts where the port is taken without being opened.
	AlsoOn []Role
	Listen Listen
	// Source is the description field that decides the entry ("" for ports Kubernetes fixes).
	Source string
}

// Listen says how an entry of the port table is bound, and so whether the firewall opens it.
type Listen int

const (
	// ListenOpened ports listen on the host's addresses and are opened in the firewall.
	ListenOpened Listen = iota
	// ListenLoopback ports are bound to 127.0.0.1 and never opened; they still take the port.
	ListenLoopback
	// ListenUnopened ports listen on every address but kubeforge opens no rule for them: what
	// reaches them (a load balancer's health check) is the operator's to allow.
	ListenUnopened
	// ListenNone entries only open the firewall (firewall.extraPorts): nothing of kubeforge's
	// listens there, so they may overlap anything.
	ListenNone
)

func (p Port) String() string {
	if p.From == p.To {
		return fmt.Sprintf("%d/%s", p.From, p.Protocol)
	}
	return fmt.Sprintf("%d-%d/%s", p.From, p.To, p.Protocol)
}

// Opened reports whether hosts open the entry in their firewall.
func (p Port) Opened() bool { return p.Listen == ListenOpened || p.Listen == ListenNone }

// Overlaps reports whether two entries share a port of one protocol.
func (p Port) Overlaps(q Port) bool {
	return p.Protocol == q.Protocol && p.From <= q.To && q.From <= p.To
}

// Well-known ports kubeadm and the components' defaults use.
const (
	PortEtcdClient        = 2379
	PortEtcdPeer          = 2380
	PortEtcdMetrics       = 2381
	PortKubelet           = 10250
	PortKubeletHealthz    = 10248
	PortKubeProxyMetrics  = 10249
	PortKubeProxyHealthz  = 10256
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
	PortNameKubeletHealthz    = "kubelet-healthz"
	PortNameKubeletReadOnly   = "kubelet-read-only"
	PortNameKubeProxyMetrics  = "kube-proxy-metrics"
	PortNameKubeProxyHealthz  = "kube-proxy-healthz"
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
	every := []Role{RoleControlPlane, RoleEtcd, RoleWorker}
	// Hosts that are Kubernetes nodes: dedicated etcd hosts run a standalone kubelet only.
	nodes := []Role{RoleControlPlane, RoleWorker}
	ports := []Port{
		{Name: PortNameAPIServer, From: c.APIServer.BindPort, To: c.APIServer.BindPort, Protocol: "tcp", Roles: cp, Source: "apiServer.bindPort"},
		// The kubelet API answers the apiservers (logs, exec, metrics) on every node. A dedicated
		// etcd host's kubelet runs standalone with address 127.0.0.1 (kubeadm's HA etcd guide):
		// it takes the port there but nothing may reach it.
		{Name: PortNameKubelet, From: PortKubelet, To: PortKubelet, Protocol: "tcp", Roles: nodes, AlsoOn: []Role{RoleEtcd}},
		// The kubelet's healthz is on loopback (healthzBindAddress 127.0.0.1, as kubeadm has it).
		{Name: PortNameKubeletHealthz, From: PortKubeletHealthz, To: PortKubeletHealthz, Protocol: "tcp", Roles: every, Listen: ListenLoopback},
		// kubeadm binds the controller-manager and scheduler to 127.0.0.1: no firewall rule.
		{Name: PortNameControllerManager, From: PortControllerManager, To: PortControllerManager, Protocol: "tcp", Roles: cp, Listen: loopbackUnless(c.ControllerManager.ExtraArgs), Source: FieldPath("controllerManager", "extraArgs", Key("bind-address"))},
		{Name: PortNameScheduler, From: PortScheduler, To: PortScheduler, Protocol: "tcp", Roles: cp, Listen: loopbackUnless(c.Scheduler.ExtraArgs), Source: FieldPath("scheduler", "extraArgs", Key("bind-address"))},
		// Every node answers NodePorts (kube-proxy, or the CNI that replaces it, on every
		// address including loopback); only workers open them.
		{Name: PortNameNodePorts, From: c.Network.NodePorts.From, To: c.Network.NodePorts.To, Protocol: "tcp", Roles: []Role{RoleWorker}, AlsoOn: nodes, Source: "networking.nodePortRange"},
	}
	if c.Addons.KubeProxy {
		// kube-proxy's defaults, which kubeadm keeps: metrics on 127.0.0.1:10249, the health
		// check that external load balancers probe on 0.0.0.0:10256.
		ports = append(ports,
			Port{Name: PortNameKubeProxyMetrics, From: PortKubeProxyMetrics, To: PortKubeProxyMetrics, Protocol: "tcp", Roles: nodes, Listen: ListenLoopback, Source: "addons.kubeProxy.enabled"},
			Port{Name: PortNameKubeProxyHealthz, From: PortKubeProxyHealthz, To: PortKubeProxyHealthz, Protocol: "tcp", Roles: nodes, Listen: ListenUnopened, Source: "addons.kubeProxy.enabled"},
		)
	}
	if c.Etcd.Topology != EtcdExternal {
		ports = append(ports,
			Port{Name: PortNameEtcdClient, From: PortEtcdClient, To: PortEtcdClient, Protocol: "tcp", Roles: etcd, Source: "etcd.topology"},
			Port{Name: PortNameEtcdPeer, From: PortEtcdPeer, To: PortEtcdPeer, Protocol: "tcp", Roles: etcd, Source: "etcd.topology"},
			Port{Name: PortNameEtcdMetrics, From: PortEtcdMetrics, To: PortEtcdMetrics, Protocol: "tcp", Roles: etcd, Listen: ListenLoopback, Source: "etcd.topology"},
		)
	}
	for i, p := range c.Firewall.ExtraPorts {
		p.Name = fmt.Sprintf("extra-%d", i)
		p.Source = FieldPath("firewall", "extraPorts", i)
		p.Listen = ListenNone
		ports = append(ports, p)
	}
	return ports
}

// PortsOn returns every entry that takes or opens a port of h: the table's, and h's kubelet
// read-only port when it is open. Sorted by port.
func (c *Cluster) PortsOn(h *Host) []Port {
	var out []Port
	for _, p := range c.Ports() {
		if slices.ContainsFunc(p.Roles, h.Has) || slices.ContainsFunc(p.AlsoOn, h.Has) {
			out = append(out, p)
		}
	}
	if ro := h.Kubelet.ReadOnlyPort; ro != 0 {
		// Insecure, hence warned about and never opened; but it takes the port.
		out = append(out, Port{Name: PortNameKubeletReadOnly, From: ro, To: ro, Protocol: "tcp", Listen: ListenUnopened, Source: h.Kubelet.Origin["readOnlyPort"]})
	}
	sortPorts(out)
	return out
}

// PortsFor returns the table entries a host opens in its firewall, sorted by port.
func (c *Cluster) PortsFor(h *Host) []Port {
	var out []Port
	for _, p := range c.Ports() {
		if p.Opened() && slices.ContainsFunc(p.Roles, h.Has) {
			out = append(out, p)
		}
	}
	sortPorts(out)
	return out
}

func sortPorts(ps []Port) {
	slices.SortStableFunc(ps, func(a, b Port) int {
		if a.From != b.From {
			return a.From - b.From
		}
		return a.To - b.To
	})
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

// loopbackUnless returns how a component kubeadm binds to 127.0.0.1 listens, given its extra
// args: on loopback unless bind-address says otherwise.
func loopbackUnless(args Args) Listen {
	addr, ok := args["bind-address"]
	if ok && addr != "127.0.0.1" && addr != "::1" && addr != "localhost" {
		return ListenOpened
	}
	return ListenLoopback
}
