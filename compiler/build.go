package compiler

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"kubeforge.dev/kubeforge/compiler/description"
	"kubeforge.dev/kubeforge/compiler/diag"
)

// Locator finds the position of a description field given by path (e.g. "hosts[2].name").
type Locator interface {
	PosOf(path string) diag.Position
	// Written reports whether the user wrote the field (rather than the schema defaulting it).
	Written(path string) bool
}

// Load reads, checks and builds a description: the entry point of the compiler.
func Load(paths ...string) (*Cluster, *description.Source, diag.List) {
	src, diags := description.Load(paths...)
	if diags.HasErrors() {
		return nil, src, diags
	}
	return FromSource(src, diags)
}

// LoadBytes is Load for one description held in memory.
func LoadBytes(name string, data []byte) (*Cluster, *description.Source, diag.List) {
	src, diags := description.LoadBytes(name, data)
	if diags.HasErrors() {
		return nil, src, diags
	}
	return FromSource(src, diags)
}

// FromSource decodes, builds and checks a loaded description.
func FromSource(src *description.Source, diags diag.List) (*Cluster, *description.Source, diag.List) {
	d, ds := description.Decode(src)
	diags = append(diags, ds...)
	if ds.HasErrors() {
		return nil, src, diags
	}
	c, ds := Build(d, src)
	c.SourceDir = src.Dir
	diags = append(diags, ds...)
	if ds.HasErrors() {
		return nil, src, diags
	}
	diags = append(diags, Check(c, src)...)
	if diags.HasErrors() {
		return nil, src, diags
	}
	// Files the description names are read last: only a description that holds together
	// says which to read.
	diags = append(diags, readExternalEtcd(c, src)...)
	if diags.HasErrors() {
		return nil, src, diags
	}
	return c, src, diags
}

// builder collects diagnostics while turning a description into the model.
type builder struct {
	loc   Locator
	diags diag.List
}

func (b *builder) errorf(path, detail, format string, args ...any) {
	if reportHook != nil {
		reportHook(format)
	}
	b.diags = append(b.diags, diag.Diagnostic{Severity: diag.Error, Pos: b.loc.PosOf(path), Path: path,
		Summary: fmt.Sprintf(format, args...), Detail: detail})
}

// Build turns a decoded description into the model: parsed addresses and versions, derived
// endpoint, merged host settings. Problems of single values the schema cannot see (a CIDR
// that does not parse) are reported here; relations between fields are Check's.
func Build(d *description.Cluster, loc Locator) (*Cluster, diag.List) {
	b := &builder{loc: loc}
	c := &Cluster{
		Name:              d.Name,
		ImageRepository:   d.ImageRepository,
		APIServer:         APIServer{BindPort: d.APIServer.BindPort, CertSANs: d.APIServer.CertSANs, ExtraArgs: Args(d.APIServer.ExtraArgs)},
		ControllerManager: Component{ExtraArgs: Args(d.ControllerManager.ExtraArgs)},
		Scheduler:         Component{ExtraArgs: Args(d.Scheduler.ExtraArgs)},
		Etcd:              Etcd{Topology: EtcdTopology(d.Etcd.Topology), DataDir: d.Etcd.DataDir, ExtraArgs: Args(d.Etcd.ExtraArgs)},
		Runtime:           Runtime{Kind: d.ContainerRuntime.Kind, CRISocket: d.ContainerRuntime.CRISocket, CgroupDriver: d.ContainerRuntime.CgroupDriver},
		Firewall:          Firewall{Enabled: d.Firewall.Enabled, Zone: d.Firewall.Zone},
		Addons:            Addons{KubeProxy: d.Addons.KubeProxy.Enabled, KubeProxyMode: d.Addons.KubeProxy.Mode, CoreDNS: d.Addons.CoreDNS.Enabled},
	}
	var err error
	if c.Version, c.Release, err = ParseVersion(d.KubernetesVersion); err != nil {
		var unknown *UnknownReleaseError
		hint := ""
		if errors.As(err, &unknown) {
			hint = unknown.Hint()
		}
		b.errorf("kubernetesVersion", hint, "%v", err)
	}
	c.Network = b.network(d.Networking)
	if e := d.Etcd.External; e != nil {
		c.Etcd.External = &ExternalEtcd{Endpoints: e.Endpoints, CAFile: e.CAFile, CertFile: e.CertFile, KeyFile: e.KeyFile}
	}
	c.PKI = b.pki(d.PKI)
	for i, ep := range d.Firewall.ExtraPorts {
		c.Firewall.ExtraPorts = append(c.Firewall.ExtraPorts, b.extraPort(fmt.Sprintf("firewall.extraPorts[%d]", i), ep))
	}
	for _, k := range slices.Sorted(maps.Keys(d.Sysctls)) {
		c.Sysctls = append(c.Sysctls, Sysctl{Key: k, Value: sysctlValue(d.Sysctls[k])})
	}

	c.Kubelet = mergeKubelet(Kubelet{Origin: map[string]string{}}, d.Kubelet, "kubelet")
	for i, dh := range d.Hosts {
		c.Hosts = append(c.Hosts, b.host(c, d, i, dh))
	}
	c.Endpoint = b.endpoint(c, d.ControlPlaneEndpoint)
	if d.Proxy != nil {
		c.Proxy = &Proxy{HTTP: d.Proxy.HTTP, HTTPS: d.Proxy.HTTPS, NoProxy: noProxy(c, d.Proxy.NoProxy)}
	}
	return c, b.diags
}

// sysctlValue writes a sysctl value as sysctl reads it: JSON numbers arrive as float64 and
// must not turn into 1.048576e+06.
func sysctlValue(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func (b *builder) network(n description.Networking) Network {
	out := Network{DNSDomain: n.DNSDomain, NodeMaskIPv4: n.NodeCIDRMaskSize.IPv4, NodeMaskIPv6: n.NodeCIDRMaskSize.IPv6}
	out.PodSubnets = b.prefixes("networking.podSubnets", n.PodSubnets)
	out.ServiceSubnets = b.prefixes("networking.serviceSubnets", n.ServiceSubnets)
	from, to, err := parseRange(n.NodePortRange)
	if err != nil || from > to {
		b.errorf("networking.nodePortRange", "expected FROM-TO with FROM <= TO, ports 1-65535", "invalid port range %q", n.NodePortRange)
	}
	out.NodePorts = PortRange{From: from, To: to}
	return out
}

func (b *builder) prefixes(path string, in []string) []netip.Prefix {
	var out []netip.Prefix
	for i, s := range in {
		p, err := netip.ParsePrefix(s)
		switch {
		case err != nil:
			b.errorf(fmt.Sprintf("%s[%d]", path, i), "expected a CIDR such as 10.244.0.0/16 or fd00:10:244::/56", "%q is not a valid CIDR", s)
		case p.Masked() != p:
			b.errorf(fmt.Sprintf("%s[%d]", path, i), fmt.Sprintf("write %s", p.Masked()), "%s has host bits set", s)
		default:
			out = append(out, p)
		}
	}
	return out
}

func parseRange(s string) (int, int, error) {
	a, bs, ok := strings.Cut(s, "-")
	if !ok {
		bs = a
	}
	from, err1 := strconv.Atoi(a)
	to, err2 := strconv.Atoi(bs)
	if err1 != nil || err2 != nil || from < 1 || to > 65535 {
		return 0, 0, fmt.Errorf("invalid range %q", s)
	}
	return from, to, nil
}

func (b *builder) pki(p description.PKI) PKI {
	out := PKI{KeyAlgorithm: KeyAlgorithm(p.KeyAlgorithm)}
	var err error
	if out.CAValidity, err = time.ParseDuration(p.CAValidity); err != nil || out.CAValidity <= 0 {
		b.errorf("pki.caValidity", "expected a positive duration such as 87600h", "invalid duration %q", p.CAValidity)
	}
	if out.CertValidity, err = time.ParseDuration(p.CertValidity); err != nil || out.CertValidity <= 0 {
		b.errorf("pki.certValidity", "expected a positive duration such as 8760h", "invalid duration %q", p.CertValidity)
	}
	return out
}

func (b *builder) extraPort(path string, ep description.ExtraPort) Port {
	p := Port{Protocol: ep.Protocol}
	for _, r := range ep.Roles {
		p.Roles = append(p.Roles, Role(r))
	}
	switch v := ep.Port.(type) {
	case float64:
		p.From, p.To = int(v), int(v)
	case string:
		from, to, err := parseRange(v)
		if err != nil || from > to {
			b.errorf(path+".port", "expected a port or FROM-TO with FROM <= TO", "invalid port range %q", v)
		}
		p.From, p.To = from, to
	}
	return p
}

func (b *builder) host(c *Cluster, d *description.Cluster, i int, dh description.Host) *Host {
	path := fmt.Sprintf("hosts[%d]", i)
	h := &Host{Index: i, Name: dh.Name, NodeName: dh.NodeName, Group: dh.Group}
	if h.NodeName == "" {
		h.NodeName = h.Name
	}
	for j, a := range dh.Addresses {
		addr, err := netip.ParseAddr(a)
		switch {
		case err != nil || addr.Zone() != "":
			b.errorf(fmt.Sprintf("%s.addresses[%d]", path, j), "expected an IPv4 or IPv6 address", "%q is not a valid IP address", a)
			continue
		case addr.Is4In6():
			// The kernel, etcd and the kubelet would each read it as IPv4 or IPv6 their own way.
			b.errorf(fmt.Sprintf("%s.addresses[%d]", path, j), fmt.Sprintf("write the IPv4 address %s itself", addr.Unmap()), "%s is an IPv4-mapped IPv6 address", a)
			continue
		}
		h.Addresses = append(h.Addresses, addr)
	}
	for _, r := range dh.Roles {
		if !h.Has(Role(r)) {
			h.Roles = append(h.Roles, Role(r))
		}
	}
	slices.Sort(h.Roles)

	// Settings apply in order: cluster kubelet, hostDefaults, the host's group, the host.
	layers := []struct {
		path string
		s    description.HostSettings
	}{{"hostDefaults", d.HostDefaults}}
	if dh.Group != "" {
		g, ok := d.Groups[dh.Group]
		if !ok {
			defined := "no groups are defined"
			if len(d.Groups) > 0 {
				defined = "groups defined: " + strings.Join(slices.Sorted(maps.Keys(d.Groups)), ", ")
			}
			b.errorf(path+".group", defined, "unknown group %q", dh.Group)
		}
		layers = append(layers, struct {
			path string
			s    description.HostSettings
		}{"groups." + dh.Group, g})
	}
	layers = append(layers, struct {
		path string
		s    description.HostSettings
	}{path, description.HostSettings{Labels: dh.Labels, Taints: dh.Taints, OS: dh.OS, Kubelet: dh.Kubelet}})

	h.Kubelet = c.Kubelet.clone()
	h.Labels = map[string]string{}
	// Taints are optional in the schema: a layer that writes them (even as []) replaces the
	// taints before it; when none does, control-plane hosts that are not workers get kubeadm's
	// control-plane taint.
	taintsWritten := false
	for _, l := range layers {
		maps.Copy(h.Labels, l.s.Labels)
		if l.s.Taints != nil {
			taintsWritten = true
			h.Taints = nil
			for _, t := range l.s.Taints {
				h.Taints = append(h.Taints, Taint{Key: t.Key, Value: t.Value, Effect: t.Effect})
			}
		}
		h.Kubelet = mergeKubelet(h.Kubelet, l.s.Kubelet, l.path+".kubelet")
		// The schema defaults hostDefaults.os; a group or the host may say otherwise.
		if l.s.OS != "" {
			h.OS, h.OSOrigin = OSFamily(l.s.OS), l.path+".os"
		}
	}
	if !taintsWritten && h.Has(RoleControlPlane) && !h.Has(RoleWorker) {
		h.Taints = []Taint{{Key: "node-role.kubernetes.io/control-plane", Effect: "NoSchedule"}}
	}
	return h
}

// endpoint parses controlPlaneEndpoint, or derives it from the only control-plane host.
func (b *builder) endpoint(c *Cluster, s string) Endpoint {
	if s == "" {
		cps := c.HostsWith(RoleControlPlane)
		if len(cps) == 0 || len(cps[0].Addresses) == 0 {
			return Endpoint{}
		}
		return Endpoint{Host: cps[0].AdvertiseAddress().String(), Port: c.APIServer.BindPort}
	}
	host, port := s, c.APIServer.BindPort
	if h, p, err := net.SplitHostPort(s); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			b.errorf("controlPlaneEndpoint", "expected a port from 1 to 65535", "invalid port %q", p)
		}
		host, port = h, n
	}
	return Endpoint{Host: strings.Trim(host, "[]"), Port: port, Explicit: true}
}

// String returns host:port, with brackets around an IPv6 address.
func (e Endpoint) String() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// URL returns the endpoint as an https URL.
func (e Endpoint) URL() string { return "https://" + e.String() }

// noProxy adds what must never go through a proxy: the cluster's own networks, control-plane
// addresses, the endpoint and the DNS domain. The proxy environment reaches the kubelet, the
// container runtime and kube-proxy, which dial the endpoint and the apiservers but never
// another node, so workers' addresses are left out: with them every host's files would change
// whenever a host joins.
func noProxy(c *Cluster, user []string) []string {
	out := slices.Clone(user)
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add("localhost")
	add("127.0.0.1")
	for _, p := range c.Network.PodSubnets {
		add(p.String())
	}
	for _, p := range c.Network.ServiceSubnets {
		add(p.String())
	}
	if c.Endpoint.Host != "" {
		add(c.Endpoint.Host)
	}
	add("." + c.Network.DNSDomain)
	add(".svc")
	for _, h := range c.HostsWith(RoleControlPlane) {
		for _, a := range h.Addresses {
			add(a.String())
		}
	}
	return out
}
