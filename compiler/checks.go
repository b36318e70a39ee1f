package compiler

import (
	"fmt"
	"math/big"
	"net/netip"
	"slices"
	"strings"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// A check looks at relations between fields that the schema cannot express. Each reports
// with the position of the field at fault.
type check struct {
	name string
	run  func(*checker)
}

// checks is the list Check runs, in order.
var checks = []check{
	{"unique names and addresses", (*checker).uniqueHosts},
	{"host names", (*checker).hostNames},
	{"roles", (*checker).roles},
	{"etcd topology", (*checker).etcdTopology},
	{"endpoint", (*checker).endpoint},
	{"networks", (*checker).networks},
	{"node CIDRs", (*checker).nodeCIDRs},
	{"service IPs", (*checker).serviceIPs},
	{"cgroup driver", (*checker).cgroupDriver},
	{"node allocatable", (*checker).nodeAllocatable},
	{"kubelet auth", (*checker).kubeletAuth},
	{"apiserver auth", (*checker).apiServerAuth},
	{"controller-manager node CIDRs", (*checker).allocateNodeCIDRs},
	{"image GC", (*checker).imageGC},
	{"dual-stack addresses", (*checker).dualStackHosts},
	{"managed flags", (*checker).managedArgs},
	{"ports", (*checker).portOverlaps},
	{"paths", (*checker).paths},
	{"writable mounts", (*checker).writableMounts},
	{"PKI validity", (*checker).pkiValidity},
	{"sysctls", (*checker).sysctls},
	{"runtime config", (*checker).runtimeConfig},
	{"image credential providers", (*checker).credentialProviders},
	{"apiserver security files", (*checker).securityFiles},
	{"admission and authentication", (*checker).admissionAuthn},
	{"benchmark waivers", (*checker).waiverChecks},
	{"version skew", (*checker).versionSkew},
}

// Check runs every cross-field check and returns all the problems found.
func Check(c *Cluster, loc Locator) diag.List {
	k := &checker{c: c, loc: loc}
	for _, ch := range checks {
		ch.run(k)
	}
	return k.diags
}

type checker struct {
	c     *Cluster
	loc   Locator
	diags diag.List
}

// reportHook, when set (by tests), is told the code, severity and format of every diagnostic
// reported, so a test can check that the corpus exercises each one.
var reportHook func(code diag.Code, sev diag.Severity, format string)

func (k *checker) report(code diag.Code, sev diag.Severity, path, detail, format string, args ...any) {
	k.diags = append(k.diags, reported(k.loc, code, sev, path, path, detail, format, args...))
}

// reportAt reports an error about the field at path, positioned at the field at posPath (for
// a field that is missing).
func (k *checker) reportAt(code diag.Code, path, posPath, detail, format string, args ...any) {
	k.diags = append(k.diags, reported(k.loc, code, diag.Error, path, posPath, detail, format, args...))
}

// reported is the diagnostic of a check or of the builder, at the field at posPath.
func reported(loc Locator, code diag.Code, sev diag.Severity, path, posPath, detail, format string, args ...any) diag.Diagnostic {
	if reportHook != nil {
		reportHook(code, sev, format)
	}
	start, end := loc.RangeOf(posPath)
	return diag.Diagnostic{Code: code, Severity: sev, Pos: start, End: end, Path: path,
		Summary: fmt.Sprintf(format, args...), Detail: detail}
}

// firstWritten returns the first of paths the user wrote, or the last: a diagnostic is best
// placed on a field the user can see.
func (k *checker) firstWritten(paths ...string) string {
	for _, p := range paths {
		if k.loc.Written(p) {
			return p
		}
	}
	return paths[len(paths)-1]
}

func (k *checker) errorf(code diag.Code, path, detail, format string, args ...any) {
	k.report(code, diag.Error, path, detail, format, args...)
}

func (k *checker) warnf(code diag.Code, path, detail, format string, args ...any) {
	k.report(code, diag.Warning, path, detail, format, args...)
}

func (k *checker) uniqueHosts() {
	names := map[string]*Host{}
	nodes := map[string]*Host{}
	addrs := map[netip.Addr]*Host{}
	for _, h := range k.c.Hosts {
		if prev, ok := names[h.Name]; ok {
			k.errorf(diag.CodeDuplicateHostName, h.Field("name"), "first used by "+prev.Field(), "duplicate host name %q", h.Name)
		} else {
			names[h.Name] = h
		}
		if prev, ok := nodes[h.NodeName]; ok && prev.Name != h.Name {
			k.errorf(diag.CodeDuplicateNodeName, h.Field("nodeName"), "also the node name of "+prev.Field(), "duplicate node name %q", h.NodeName)
		} else {
			nodes[h.NodeName] = h
		}
		for i, a := range h.Addresses {
			if prev, ok := addrs[a]; ok && prev != h {
				k.errorf(diag.CodeDuplicateAddress, h.Field("addresses", i), fmt.Sprintf("also an address of %s, %s", prev.Field(), prev.Name), "duplicate address %s", a)
			} else {
				addrs[a] = h
			}
			if r, ok := specialRangeOf(a); ok {
				k.errorf(diag.CodeUnusableHostAddress, h.Field("addresses", i), "a host address must be a unicast address other hosts can reach: "+r.why, "%s cannot be a host address (%s)", a, r.name)
			}
		}
	}
}

func (k *checker) roles() {
	if len(k.c.HostsWith(RoleControlPlane)) == 0 {
		k.errorf(diag.CodeNoControlPlane, "hosts", "a cluster needs at least one host with role \"control-plane\"", "no control-plane host")
	}
}

func (k *checker) etcdTopology() {
	c := k.c
	switch c.Etcd.Topology {
	case EtcdExternal:
		if c.Etcd.External == nil {
			k.errorf(diag.CodeExternalEtcdMissing, "etcd.topology", "give etcd.external with endpoints, caFile, certFile and keyFile", "topology \"external\" needs etcd.external")
		}
	default:
		if c.Etcd.External != nil {
			k.errorf(diag.CodeExternalEtcdUnused, "etcd.external", "set etcd.topology: \"external\" to use an external etcd cluster", "etcd.external is set but the topology is %q", c.Etcd.Topology)
		}
	}
	if c.Etcd.Topology != EtcdDedicated {
		for _, h := range c.HostsWith(RoleEtcd) {
			k.errorf(diag.CodeEtcdRoleNotDedicated, h.Field("roles"), "dedicated etcd hosts need etcd.topology: \"dedicated\"", "host %q has role \"etcd\" but the etcd topology is %q", h.Name, c.Etcd.Topology)
		}
	}
	if c.Etcd.Topology == EtcdExternal {
		return
	}
	n := len(c.EtcdMembers())
	switch {
	case n == 0 && c.Etcd.Topology == EtcdDedicated:
		k.errorf(diag.CodeDedicatedWithoutEtcd, "etcd.topology", "give some hosts the role \"etcd\"", "topology \"dedicated\" but no host has role \"etcd\"")
	case n == 0:
		// No control-plane host: reported by roles.
	case n%2 == 0:
		// The member count comes from the hosts' roles.
		k.warnf(diag.CodeEvenEtcdMembers, "hosts", fmt.Sprintf("%d members tolerate the loss of %d, as %d would; an odd count (1, 3, 5 or 7) is safer", n, (n-1)/2, n-1), "even number of etcd members: %d", n)
	case n > 7:
		k.warnf(diag.CodeManyEtcdMembers, "hosts", "more than 7 members slow every write without adding useful fault tolerance", "%d etcd members", n)
	}
}

type namedPrefix struct {
	path string
	p    netip.Prefix
}

func (k *checker) networks() {
	n := k.c.Network
	var all []namedPrefix
	for i, p := range n.PodSubnets {
		all = append(all, namedPrefix{FieldPath("networking", "podSubnets", i), p})
	}
	for i, p := range n.ServiceSubnets {
		all = append(all, namedPrefix{FieldPath("networking", "serviceSubnets", i), p})
	}
	for i := range all {
		for j := range i {
			if all[i].p.Overlaps(all[j].p) {
				// Report on the network the user wrote (the other may be a default).
				this, other := all[i], all[j]
				if !k.loc.Written(this.path) {
					this, other = other, this
				}
				k.errorf(diag.CodeNetworksOverlap, this.path, fmt.Sprintf("it overlaps %s, %s; pod and service networks must be disjoint", other.path, other.p), "%s overlaps another cluster network", this.p)
			}
		}
	}
	for _, list := range []struct {
		path string
		ps   []netip.Prefix
	}{{"networking.podSubnets", n.PodSubnets}, {"networking.serviceSubnets", n.ServiceSubnets}} {
		if len(list.ps) > 2 || len(list.ps) == 2 && list.ps[0].Addr().Is4() == list.ps[1].Addr().Is4() {
			k.errorf(diag.CodeNetworksOfOneFamily, list.path, "give at most one IPv4 and one IPv6 network, for dual-stack", "%d networks of the same family", len(list.ps))
		}
	}
	if len(n.PodSubnets) > 0 && len(n.ServiceSubnets) > 0 && n.PodSubnets[0].Addr().Is4() != n.ServiceSubnets[0].Addr().Is4() {
		k.errorf(diag.CodePrimaryFamilyMismatch, k.firstWritten("networking.serviceSubnets[0]", "networking.podSubnets[0]"), "the first pod and service networks set the cluster's primary IP family and must agree", "primary service network %s is not of the family of the primary pod network %s", n.ServiceSubnets[0], n.PodSubnets[0])
	}
	for _, np := range all {
		if rs := specialRangesIn(np.p); len(rs) > 0 {
			var names, whys []string
			for _, r := range rs {
				names = append(names, fmt.Sprintf("%s (%s)", r.prefix, r.name))
				whys = append(whys, r.name+": "+r.why)
			}
			k.errorf(diag.CodeUnusableNetwork, np.path, "pod and service networks must be ordinary unicast ranges such as 10.244.0.0/16 or fd00:10:244::/56; "+strings.Join(whys, "; "),
				"%s overlaps special addresses %s", np.p, strings.Join(names, ", "))
		}
	}
	// Host addresses inside a cluster network would be shadowed by pod or service routes.
	for _, h := range k.c.Hosts {
		for i, a := range h.Addresses {
			for _, np := range all {
				if np.p.Contains(a) {
					k.errorf(diag.CodeAddressInNetwork, h.Field("addresses", i), fmt.Sprintf("%s is %s", np.path, np.p), "host address %s lies inside a cluster network", a)
				}
			}
		}
	}
}

func (k *checker) nodeMask(p netip.Prefix) (int, string) {
	if p.Addr().Is4() {
		return k.c.Network.NodeMaskIPv4, "networking.nodeCIDRMaskSize.ipv4"
	}
	return k.c.Network.NodeMaskIPv6, "networking.nodeCIDRMaskSize.ipv6"
}

func (k *checker) nodeCIDRs() {
	c := k.c
	for i, p := range c.Network.PodSubnets {
		path := FieldPath("networking", "podSubnets", i)
		mask, maskPath := k.nodeMask(p)
		switch {
		case mask < p.Bits():
			k.errorf(diag.CodeNodeMaskTooShort, k.firstWritten(maskPath, path), fmt.Sprintf("the controller-manager gives each node a /%d out of the pod subnet; use a larger pod subnet or a longer %s", mask, maskPath),
				"pod subnet %s is smaller than one /%d node CIDR", p, mask)
			continue
		case mask-p.Bits() > 16:
			k.errorf(diag.CodeNodeMaskTooFar, k.firstWritten(maskPath, path), "the controller-manager allows at most 16 bits between the pod subnet and the node CIDR mask", "node CIDR mask /%d is too far from pod subnet %s", mask, p)
			continue
		}
		available := 1 << (mask - p.Bits())
		if len(c.Hosts) > available {
			k.errorf(diag.CodePodSubnetTooSmall, path, fmt.Sprintf("%s holds %d node CIDRs of /%d but the cluster has %d hosts", p, available, mask, len(c.Hosts)), "pod subnet too small for the cluster")
		}
		if !p.Addr().Is4() {
			continue
		}
		// Every pod needs an address from its node's CIDR; network and broadcast are not usable.
		usable := (1 << (32 - mask)) - 2
		for _, h := range c.Hosts {
			if h.Kubelet.MaxPods > usable {
				k.errorf(diag.CodeMaxPodsBeyondNodeCIDR, k.firstWritten(k.originOf(h, "maxPods"), maskPath), fmt.Sprintf("a /%d node CIDR has %d usable addresses; lower maxPods or set networking.nodeCIDRMaskSize.ipv4 to /%d or less", mask, usable, maskFor(h.Kubelet.MaxPods)),
					"maxPods %d of host %q does not fit its node CIDR", h.Kubelet.MaxPods, h.Name)
			}
		}
	}
}

// maskFor returns the longest IPv4 mask with at least n usable addresses.
func maskFor(n int) int {
	m := 30
	for m > 8 && (1<<(32-m))-2 < n {
		m--
	}
	return m
}

// originOf returns the description path that set a kubelet field of h, for positions.
func (k *checker) originOf(h *Host, field string) string {
	if p, ok := h.Kubelet.Origin[field]; ok {
		return p
	}
	return under([]any{"kubelet"}, field)
}

func (k *checker) serviceIPs() {
	for i, p := range k.c.Network.ServiceSubnets {
		path := FieldPath("networking", "serviceSubnets", i)
		hostBits := p.Addr().BitLen() - p.Bits()
		if hostBits > 20 {
			k.errorf(diag.CodeServiceSubnetTooLarge, path, "the apiserver allocates service IPs from at most 20 bits: /12 for IPv4, /108 for IPv6", "service subnet %s is too large", p)
		}
		if size := new(big.Int).Lsh(big.NewInt(1), uint(hostBits)); size.Cmp(big.NewInt(11)) < 0 {
			k.errorf(diag.CodeServiceSubnetTooSmall, path, "the kubernetes service takes the 1st address and cluster DNS the 10th", "service subnet %s has fewer than 11 addresses", p)
		}
	}
}

func (k *checker) cgroupDriver() {
	c := k.c
	check := func(path, driver string) {
		if driver != "" && driver != c.Runtime.CgroupDriver {
			k.errorf(diag.CodeCgroupDriverMismatch, path, fmt.Sprintf("containerRuntime.cgroupDriver is %q; the kubelet and the runtime must use the same driver or pods fail to start", c.Runtime.CgroupDriver),
				"kubelet cgroupDriver %q disagrees with the container runtime", driver)
		}
	}
	reported := map[string]bool{}
	for _, h := range c.Hosts {
		if p, ok := h.Kubelet.Origin["cgroupDriver"]; ok && !reported[p] {
			reported[p] = true
			check(p, h.Kubelet.CgroupDriver)
		}
	}
	if _, ok := c.Kubelet.Origin["cgroupDriver"]; ok && !reported["kubelet.cgroupDriver"] {
		check("kubelet.cgroupDriver", c.Kubelet.CgroupDriver)
	}
}

// forEachDistinct calls f once per distinct origin of a kubelet field, so a cluster-wide
// mistake is reported once, not once per host.
func (k *checker) forEachDistinct(field string, f func(h *Host, path string)) {
	seen := map[string]bool{}
	for _, h := range k.c.Hosts {
		p := k.originOf(h, field)
		if !seen[p] {
			seen[p] = true
			f(h, p)
		}
	}
}

func (k *checker) nodeAllocatable() {
	k.forEachDistinct("enforceNodeAllocatable", func(h *Host, path string) {
		kl := h.Kubelet
		for _, want := range []struct{ enforce, cgroup, cgroupField, reservedField string }{
			{"system-reserved", kl.SystemReservedCgroup, "systemReservedCgroup", "systemReserved"},
			{"kube-reserved", kl.KubeReservedCgroup, "kubeReservedCgroup", "kubeReserved"},
		} {
			if !slices.Contains(kl.EnforceNodeAllocatable, want.enforce) {
				continue
			}
			if want.cgroup == "" {
				k.errorf(diag.CodeReservedCgroupMissing, path, fmt.Sprintf("enforcing %s needs kubelet.%s naming an existing cgroup, or the kubelet refuses to start", want.enforce, want.cgroupField),
					"%s is enforced without %s", want.enforce, want.cgroupField)
			}
		}
		if slices.Contains(kl.EnforceNodeAllocatable, "none") && len(kl.EnforceNodeAllocatable) > 1 {
			k.errorf(diag.CodeEnforceNoneWithOthers, path, "\"none\" cannot be combined with other values", "enforceNodeAllocatable lists \"none\" with others")
		}
	})
}

func (k *checker) allocateNodeCIDRs() {
	c := k.c
	v, set := c.ControllerManager.ExtraArgs["allocate-node-cidrs"]
	path := FieldPath("controllerManager", "extraArgs", Key("allocate-node-cidrs"))
	switch {
	case set && v == "true" && len(c.Network.PodSubnets) == 0:
		k.errorf(diag.CodeNodeCIDRsWithoutPods, path, "allocating node CIDRs needs a pod subnet in networking.podSubnets; the controller-manager exits without --cluster-cidr", "allocate-node-cidrs without a pod subnet")
	case set && v == "false" && len(c.Network.PodSubnets) > 0:
		k.warnf(diag.CodeNodeCIDRsOff, path, "nodes then get no spec.podCIDR, and CNI plugins that rely on it, such as flannel, cannot assign pod addresses", "node CIDR allocation turned off although a pod subnet is set")
	}
}

func (k *checker) imageGC() {
	k.forEachDistinct("imageGC.lowThresholdPercent", func(h *Host, path string) {
		kl := h.Kubelet
		path = k.firstWritten(path, k.originOf(h, "imageGC.highThresholdPercent"))
		high, low := kubeletImageGCHighPercent, kubeletImageGCLowPercent
		if kl.ImageGCHighPercent != nil {
			high = *kl.ImageGCHighPercent
		}
		if kl.ImageGCLowPercent != nil {
			low = *kl.ImageGCLowPercent
		}
		if low >= high {
			k.errorf(diag.CodeImageGCThresholds, path, fmt.Sprintf("highThresholdPercent is %d; the kubelet refuses a low threshold not below the high one", high), "image GC lowThresholdPercent %d is not below highThresholdPercent", low)
		}
	})
}

func (k *checker) dualStackHosts() {
	families := map[bool]bool{}
	for _, p := range k.c.Network.ServiceSubnets {
		families[p.Addr().Is4()] = true
	}
	for _, h := range k.c.Hosts {
		for is4 := range families {
			if !slices.ContainsFunc(h.Addresses, func(a netip.Addr) bool { return a.Is4() == is4 }) {
				fam := "IPv6"
				if is4 {
					fam = "IPv4"
				}
				k.errorf(diag.CodeMissingAddressFamily, h.Field("addresses"), fmt.Sprintf("the cluster's service networks use %s; every node needs a node IP of each family", fam), "host %q has no %s address", h.Name, fam)
			}
		}
	}
}
