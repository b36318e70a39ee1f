package staticpod

import (
	"maps"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"kubeforge.dev/kubeforge/compiler"
)

const (
	controllerManagerName = "kube-controller-manager"
	schedulerName         = "kube-scheduler"
)

// loopbackComponent is a control-plane component kubeadm shapes like the controller-manager
// and the scheduler: one kubeconfig for its API client and its delegated authentication and
// authorization, bound to loopback, leader-elected, probed over HTTPS on its port of the port
// table. A row says what differs.
type loopbackComponent struct {
	name       string
	port       string // its name in the port table
	kubeconfig string
	// sources are the description fields every such pod comes from, in the order recorded,
	// before those of its image (the host's version and imageRepository).
	sources   []string
	extraArgs func(*compiler.Cluster) compiler.Args
	// extraArgsField is the field of extraArgs, recorded when it holds any.
	extraArgsField string
	pathFlags      map[string]pathUse
	cpu            string
	liveness       string
	readiness      string // empty: no readiness probe
	startup        string
	// more adds the component's own flags, mounts and sources; nil when it has none.
	more func(c *compiler.Cluster, h *compiler.Host, facts minorFacts, opts Options, p *podParts)
}

// podParts are what a component's row adds to: the flags (the user's extra args already in
// place, so a mount can follow a flag's final value), the mounts, and the description fields
// they come from.
type podParts struct {
	flags   flags
	mounts  *mounts
	sources []string
}

// loopbackComponents are the controller-manager and the scheduler, in file name order.
var loopbackComponents = []loopbackComponent{
	{
		name:           controllerManagerName,
		port:           compiler.PortNameControllerManager,
		kubeconfig:     compiler.ControllerManagerConfPath,
		sources:        []string{"name"},
		extraArgs:      func(c *compiler.Cluster) compiler.Args { return c.ControllerManager.ExtraArgs },
		extraArgsField: "controllerManager.extraArgs",
		pathFlags:      controllerManagerPathFlags,
		cpu:            "200m",
		liveness:       "/healthz",
		startup:        "/healthz",
		more:           controllerManagerParts,
	},
	{
		name:           schedulerName,
		port:           compiler.PortNameScheduler,
		kubeconfig:     compiler.SchedulerConfPath,
		extraArgs:      func(c *compiler.Cluster) compiler.Args { return c.Scheduler.ExtraArgs },
		extraArgsField: "scheduler.extraArgs",
		pathFlags:      schedulerPathFlags,
		cpu:            "100m",
		liveness:       "/livez",
		readiness:      "/readyz",
		startup:        "/livez",
	},
}

// pod returns h's instance of the component and the description fields it came from.
func (lc loopbackComponent) pod(c *compiler.Cluster, h *compiler.Host, facts minorFacts, opts Options) (*corev1.Pod, []string) {
	p := podParts{
		flags: flags{
			defaults: map[string]string{
				"authentication-kubeconfig": lc.kubeconfig,
				"authorization-kubeconfig":  lc.kubeconfig,
				"bind-address":              "127.0.0.1",
				"kubeconfig":                lc.kubeconfig,
				"leader-elect":              "true",
			},
			extra: lc.extraArgs(c),
		},
		mounts: &mounts{},
		// Then the fields of the image: the host's version and the repository.
		sources: append(slices.Clone(lc.sources), h.VersionField, "imageRepository"),
	}
	p.mounts.add("kubeconfig", lc.kubeconfig, corev1.HostPathFileOrCreate, true)
	if lc.more != nil {
		lc.more(c, h, facts, opts, &p)
	}
	if len(p.flags.extra) > 0 {
		p.sources = append(p.sources, lc.extraArgsField)
	}
	p.mounts.addFlagPaths(lc.pathFlags, p.flags)

	bind, _ := p.flags.get("bind-address")
	return component{
		name:   lc.name,
		image:  c.HostImage(h, lc.name),
		flags:  p.flags,
		mounts: p.mounts,
		cpu:    lc.cpu,
		probes: probes{
			host:      probeHost(bind),
			port:      c.PortNamed(lc.port).From,
			scheme:    corev1.URISchemeHTTPS,
			liveness:  lc.liveness,
			readiness: lc.readiness,
			startup:   lc.startup,
		},
	}.pod(), p.sources
}

// controllerManagerParts adds what the controller-manager has beyond the shared shape: it
// signs CSRs with the cluster CA, issues service-account tokens, and allocates node CIDRs from
// the pod subnets when there are any.
func controllerManagerParts(c *compiler.Cluster, h *compiler.Host, facts minorFacts, opts Options, p *podParts) {
	d := p.flags.defaults
	d["client-ca-file"] = compiler.CACertPath
	d["cluster-name"] = c.Name
	d["cluster-signing-cert-file"] = compiler.CACertPath
	d["cluster-signing-key-file"] = compiler.CAKeyPath
	d["controllers"] = "*,bootstrapsigner,tokencleaner"
	d["requestheader-client-ca-file"] = compiler.FrontProxyCACertPath
	d["root-ca-file"] = compiler.CACertPath
	d["service-account-private-key-file"] = compiler.ServiceAccountKeyPath
	d["use-service-account-credentials"] = "true"
	maps.Copy(d, opts.ControllerManagerFlags())
	if opts.ExternalCA {
		// As kubeadm does: the controller-manager cannot sign CSRs without the CA key, so the
		// signing flags are emptied (kubelet client certificates are then renewed by the
		// operator's CA, not by CSR approval).
		d["cluster-signing-cert-file"] = ""
		d["cluster-signing-key-file"] = ""
		p.sources = append(p.sources, "pki")
	}
	if len(c.Network.PodSubnets) > 0 {
		d["allocate-node-cidrs"] = "true"
		d["cluster-cidr"] = compiler.JoinPrefixes(c.Network.PodSubnets)
		d["service-cluster-ip-range"] = compiler.JoinPrefixes(c.Network.ServiceSubnets)
		p.sources = append(p.sources, "networking.podSubnets", "networking.serviceSubnets")
		// The per-family mask flags are the only ones valid for every stack (the compiler
		// refuses a single --node-cidr-mask-size in extraArgs).
		for _, s := range c.Network.PodSubnets {
			if s.Addr().Is4() {
				d["node-cidr-mask-size-ipv4"] = strconv.Itoa(c.Network.NodeMaskIPv4)
				p.sources = append(p.sources, "networking.nodeCIDRMaskSize.ipv4")
			} else {
				d["node-cidr-mask-size-ipv6"] = strconv.Itoa(c.Network.NodeMaskIPv6)
				p.sources = append(p.sources, "networking.nodeCIDRMaskSize.ipv6")
			}
		}
	}
	p.mounts.add("k8s-certs", compiler.PKIDir, corev1.HostPathDirectoryOrCreate, true)
	p.mounts.addCACertDirs(h)
	p.sources = append(p.sources, h.OSOrigin)
	if facts.flexVolumeMount {
		dir := compiler.FlexVolumePluginDir
		if v, ok := p.flags.get("flex-volume-plugin-dir"); ok {
			dir = v
		}
		// Writable: third-party storage plugins talk to it over unix sockets.
		p.mounts.add("flexvolume-dir", dir, corev1.HostPathDirectoryOrCreate, false)
	}
}
