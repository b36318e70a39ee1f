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

// Locator finds where a description field given by path (e.g. "hosts[2].name") is written.
type Locator interface {
	// RangeOf returns the start of the field's value (or name) and, when the source shows
	// where it ends, the position just past it (else a zero Position).
	RangeOf(path string) (start, end diag.Position)
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
	diags = append(diags, readAuditPolicy(c, src)...)
	diags = append(diags, readAuthentication(c, src)...)
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

func (b *builder) errorf(code diag.Code, path, detail, format string, args ...any) {
	b.diags = append(b.diags, reported(b.loc, code, diag.Error, path, path, detail, format, args...))
}

// Build turns a decoded description into the model: parsed addresses and versions, derived
// endpoint, merged host settings. Problems of single values the schema cannot see (a CIDR
// that does not parse) are reported here; relations between fields are Check's.
func Build(d *description.Cluster, loc Locator) (*Cluster, diag.List) {
	b := &builder{loc: loc}
	c := &Cluster{
		Name:            d.Name,
		ImageRepository: d.ImageRepository,
		APIServer: APIServer{BindPort: d.APIServer.BindPort, CertSANs: d.APIServer.CertSANs, ExtraArgs: Args(d.APIServer.ExtraArgs),
			EncryptionAtRest: b.encryptionAtRest(d.APIServer.EncryptionAtRest), Audit: audit(d.APIServer.Audit),
			Admission: admission(d.APIServer.Admission), Authentication: authentication(d.APIServer.Authentication)},
		ControllerManager: Component{ExtraArgs: Args(d.ControllerManager.ExtraArgs)},
		Scheduler:         Component{ExtraArgs: Args(d.Scheduler.ExtraArgs)},
		Etcd:              Etcd{Topology: EtcdTopology(d.Etcd.Topology), DataDir: d.Etcd.DataDir, ExtraArgs: Args(d.Etcd.ExtraArgs)},
		Runtime:           Runtime{Kind: d.ContainerRuntime.Kind, CRISocket: d.ContainerRuntime.CRISocket, CgroupDriver: d.ContainerRuntime.CgroupDriver},
		Firewall:          Firewall{Enabled: d.Firewall.Enabled, Zone: d.Firewall.Zone},
		Addons:            Addons{KubeProxy: d.Addons.KubeProxy.Enabled, KubeProxyMode: d.Addons.KubeProxy.Mode, CoreDNS: d.Addons.CoreDNS.Enabled},
	}
	c.Version, c.Release = b.version("kubernetesVersion", d.KubernetesVersion)
	runtimeConfig(&c.Runtime, d.ContainerRuntime)
	c.Network = b.network(d.Networking)
	if e := d.Etcd.External; e != nil {
		c.Etcd.External = &ExternalEtcd{Endpoints: e.Endpoints, CAFile: e.CAFile, CertFile: e.CertFile, KeyFile: e.KeyFile}
	}
	c.PKI = b.pki(d.PKI)
	for i, ep := range d.Firewall.ExtraPorts {
		c.Firewall.ExtraPorts = append(c.Firewall.ExtraPorts, b.extraPort(FieldPath("firewall", "extraPorts", i, "port"), ep))
	}
	for _, k := range slices.Sorted(maps.Keys(d.Sysctls)) {
		c.Sysctls = append(c.Sysctls, Sysctl{Key: k, Value: sysctlValue(d.Sysctls[k])})
	}

	c.Kubelet = mergeKubelet(Kubelet{Origin: map[string]string{}}, d.Kubelet, []any{"kubelet"})
	groupVersions := b.groupVersions(d)
	for i, dh := range d.Hosts {
		c.Hosts = append(c.Hosts, b.host(c, d, groupVersions, i, dh))
	}
	c.Waivers = waivers(d.Checks)
	c.Endpoint = b.endpoint(c, d.ControlPlaneEndpoint)
	if d.Proxy != nil {
		c.Proxy = &Proxy{HTTP: d.Proxy.HTTP, HTTPS: d.Proxy.HTTPS}
		c.Proxy.NoProxy, c.Proxy.Fields = noProxy(c, d.Proxy.NoProxy)
	}
	return c, b.diags
}

// version parses the version written at path; a version without a row in the version table
// is reported there.
func (b *builder) version(path, s string) (Version, Release) {
	v, r, err := ParseVersion(s)
	if err != nil {
		var unknown *UnknownReleaseError
		hint := ""
		if errors.As(err, &unknown) {
			hint = unknown.Hint()
		}
		b.errorf(diag.CodeUnsupportedVersion, path, hint, "%v", err)
	}
	return v, r
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
	out.PodSubnets = b.prefixes("podSubnets", n.PodSubnets)
	out.ServiceSubnets = b.prefixes("serviceSubnets", n.ServiceSubnets)
	from, to, err := parseRange(n.NodePortRange)
	if err != nil || from > to {
		b.errorf(diag.CodeInvalidPortRange, "networking.nodePortRange", "expected FROM-TO with FROM <= TO, ports 1-65535", "invalid port range %q", n.NodePortRange)
	}
	out.NodePorts = PortRange{From: from, To: to}
	return out
}

// prefixes parses the networks of networking.<field>.
func (b *builder) prefixes(field string, in []string) []netip.Prefix {
	var out []netip.Prefix
	for i, s := range in {
		p, err := netip.ParsePrefix(s)
		switch {
		case err != nil:
			b.errorf(diag.CodeInvalidCIDR, FieldPath("networking", field, i), "expected a CIDR such as 10.244.0.0/16 or fd00:10:244::/56", "%q is not a valid CIDR", s)
		case p.Masked() != p:
			b.errorf(diag.CodeCIDRHostBits, FieldPath("networking", field, i), fmt.Sprintf("write %s", p.Masked()), "%s has host bits set", s)
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
	from, ok1 := parsePort(a)
	to, ok2 := parsePort(bs)
	if !ok1 || !ok2 {
		return 0, 0, fmt.Errorf("invalid range %q", s)
	}
	return from, to, nil
}

func (b *builder) pki(p description.PKI) PKI {
	out := PKI{KeyAlgorithm: KeyAlgorithm(p.KeyAlgorithm)}
	var err error
	if out.CAValidity, err = time.ParseDuration(p.CAValidity); err != nil || out.CAValidity <= 0 {
		b.errorf(diag.CodeInvalidDuration, "pki.caValidity", "expected a positive duration such as 87600h", "invalid duration %q", p.CAValidity)
	}
	if out.CertValidity, err = time.ParseDuration(p.CertValidity); err != nil || out.CertValidity <= 0 {
		b.errorf(diag.CodeInvalidDuration, "pki.certValidity", "expected a positive duration such as 8760h", "invalid duration %q", p.CertValidity)
	}
	return out
}

// extraPort reads an entry of firewall.extraPorts; portPath is its port's field.
func (b *builder) extraPort(portPath string, ep description.ExtraPort) Port {
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
			b.errorf(diag.CodeInvalidPortRange, portPath, "expected a port or FROM-TO with FROM <= TO", "invalid port range %q", v)
		}
		p.From, p.To = from, to
	}
	return p
}

// hostVersion is a version a group sets for its hosts, and where.
type hostVersion struct {
	Version Version
	Release Release
	Field   string
}

// groupVersions parses the groups' kubernetesVersion fields, once per group.
func (b *builder) groupVersions(d *description.Cluster) map[string]hostVersion {
	out := map[string]hostVersion{}
	for _, name := range slices.Sorted(maps.Keys(d.Groups)) {
		if s := d.Groups[name].KubernetesVersion; s != "" {
			f := FieldPath("groups", name, "kubernetesVersion")
			v, r := b.version(f, s)
			out[name] = hostVersion{v, r, f}
		}
	}
	return out
}

func (b *builder) host(c *Cluster, d *description.Cluster, groupVersions map[string]hostVersion, i int, dh description.Host) *Host {
	h := &Host{Index: i, Name: dh.Name, NodeName: dh.NodeName, Group: dh.Group,
		Version: c.Version, Release: c.Release, VersionField: "kubernetesVersion"}
	if h.NodeName == "" {
		h.NodeName = h.Name
	}
	for j, a := range dh.Addresses {
		addr, err := netip.ParseAddr(a)
		switch {
		case err != nil || addr.Zone() != "":
			b.errorf(diag.CodeInvalidAddress, h.Field("addresses", j), "expected an IPv4 or IPv6 address", "%q is not a valid IP address", a)
			continue
		case addr.Is4In6():
			// The kernel, etcd and the kubelet would each read it as IPv4 or IPv6 their own way.
			b.errorf(diag.CodeIPv4MappedAddress, h.Field("addresses", j), fmt.Sprintf("write the IPv4 address %s itself", addr.Unmap()), "%s is an IPv4-mapped IPv6 address", a)
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

	// Settings apply in order: cluster kubelet, hostDefaults, the host's group, the host; each
	// layer at its path (FieldPath's elements).
	type layer struct {
		path []any
		s    description.HostSettings
	}
	layers := []layer{{[]any{"hostDefaults"}, d.HostDefaults}}
	if dh.Group != "" {
		g, ok := d.Groups[dh.Group]
		if !ok {
			defined := "no groups are defined"
			if len(d.Groups) > 0 {
				defined = "groups defined: " + strings.Join(slices.Sorted(maps.Keys(d.Groups)), ", ")
			}
			b.errorf(diag.CodeUnknownGroup, h.Field("group"), defined, "unknown group %q", dh.Group)
		}
		layers = append(layers, layer{[]any{"groups", dh.Group}, g.HostSettings})
		if gv, ok := groupVersions[dh.Group]; ok {
			h.Version, h.Release, h.VersionField = gv.Version, gv.Release, gv.Field
		}
	}
	layers = append(layers, layer{[]any{"hosts", i}, description.HostSettings{Labels: dh.Labels, Taints: dh.Taints, OS: dh.OS, Kubelet: dh.Kubelet, ContainerRuntime: dh.ContainerRuntime}})
	if dh.KubernetesVersion != "" {
		h.VersionField = h.Field("kubernetesVersion")
		h.Version, h.Release = b.version(h.VersionField, dh.KubernetesVersion)
	}

	h.Kubelet = c.Kubelet.clone()
	h.Registries = c.Runtime.Registries
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
		h.Kubelet = mergeKubelet(h.Kubelet, l.s.Kubelet, slices.Concat(l.path, []any{"kubelet"}))
		h.Registries = hostRegistries(h.Registries, l.s.ContainerRuntime, l.path)
		// The schema defaults hostDefaults.os; a group or the host may say otherwise.
		if l.s.OS != "" {
			h.OS, h.OSOrigin = OSFamily(l.s.OS), FieldPath(slices.Concat(l.path, []any{"os"})...)
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
		return Endpoint{Host: cps[0].AdvertiseAddress().String(), Port: c.APIServer.BindPort,
			Fields: []string{cps[0].Field("addresses"), "apiServer.bindPort"}}
	}
	host, port := s, c.APIServer.BindPort
	fields := []string{"controlPlaneEndpoint", "apiServer.bindPort"}
	if h, p, err := net.SplitHostPort(s); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			b.errorf(diag.CodeInvalidEndpointPort, "controlPlaneEndpoint", "expected a port from 1 to 65535", "invalid port %q", p)
		}
		host, port, fields = h, n, fields[:1]
	}
	return Endpoint{Host: strings.Trim(host, "[]"), Port: port, Explicit: true, Fields: fields}
}

// String returns host:port, with brackets around an IPv6 address.
func (e Endpoint) String() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// URL returns the endpoint as an https URL.
func (e Endpoint) URL() string { return "https://" + e.String() }

// noProxy adds what must never go through a proxy: the cluster's own networks, control-plane
// addresses, the endpoint and the DNS domain. The proxy environment reaches the kubelet, the
// container runtime and kube-proxy, which dial the endpoint and the apiservers but never
// another node, so workers' addresses are left out: with them every host's files would change
// whenever a host joins. It returns the list and the fields the proxy settings come from.
func noProxy(c *Cluster, user []string) ([]string, []string) {
	out := slices.Clone(user)
	fields := []string{"proxy"}
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	from := func(f ...string) {
		for _, s := range f {
			if !slices.Contains(fields, s) {
				fields = append(fields, s)
			}
		}
	}
	add("localhost")
	add("127.0.0.1")
	for _, p := range c.Network.PodSubnets {
		add(p.String())
		from("networking.podSubnets")
	}
	for _, p := range c.Network.ServiceSubnets {
		add(p.String())
		from("networking.serviceSubnets")
	}
	if c.Endpoint.Host != "" {
		add(c.Endpoint.Host)
		from(c.Endpoint.Fields[0])
	}
	add("." + c.Network.DNSDomain)
	from("networking.dnsDomain")
	add(".svc")
	for _, h := range c.HostsWith(RoleControlPlane) {
		for _, a := range h.Addresses {
			add(a.String())
		}
		from(h.Field("addresses"), h.Field("roles"))
	}
	return out, fields
}
