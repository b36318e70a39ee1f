package staticpod

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"kubeforge.dev/kubeforge/compiler"
)

const controllerManagerName = "kube-controller-manager"

// controllerManagerPod returns h's kube-controller-manager, which allocates node CIDRs from
// the pod subnets when there are any.
func controllerManagerPod(c *compiler.Cluster, h *compiler.Host, facts minorFacts, externalCA bool) (*corev1.Pod, []string) {
	sources := []string{"name", "kubernetesVersion", "imageRepository", h.OSOrigin}
	defaults := map[string]string{
		"authentication-kubeconfig":        compiler.ControllerManagerConfPath,
		"authorization-kubeconfig":         compiler.ControllerManagerConfPath,
		"bind-address":                     "127.0.0.1",
		"client-ca-file":                   compiler.CACertPath,
		"cluster-name":                     c.Name,
		"cluster-signing-cert-file":        compiler.CACertPath,
		"cluster-signing-key-file":         compiler.CAKeyPath,
		"controllers":                      "*,bootstrapsigner,tokencleaner",
		"kubeconfig":                       compiler.ControllerManagerConfPath,
		"leader-elect":                     "true",
		"requestheader-client-ca-file":     compiler.FrontProxyCACertPath,
		"root-ca-file":                     compiler.CACertPath,
		"service-account-private-key-file": compiler.ServiceAccountKeyPath,
		"use-service-account-credentials":  "true",
	}
	if externalCA {
		// As kubeadm does: the controller-manager cannot sign CSRs without the CA key, so the
		// signing flags are emptied (kubelet client certificates are then renewed by the
		// operator's CA, not by CSR approval).
		defaults["cluster-signing-cert-file"] = ""
		defaults["cluster-signing-key-file"] = ""
		sources = append(sources, "pki")
	}
	if len(c.Network.PodSubnets) > 0 {
		defaults["allocate-node-cidrs"] = "true"
		defaults["cluster-cidr"] = compiler.JoinPrefixes(c.Network.PodSubnets)
		defaults["service-cluster-ip-range"] = compiler.JoinPrefixes(c.Network.ServiceSubnets)
		sources = append(sources, "networking.podSubnets", "networking.serviceSubnets")
		// The per-family mask flags are the only ones valid for every stack (the compiler
		// refuses a single --node-cidr-mask-size in extraArgs).
		for _, p := range c.Network.PodSubnets {
			if p.Addr().Is4() {
				defaults["node-cidr-mask-size-ipv4"] = strconv.Itoa(c.Network.NodeMaskIPv4)
				sources = append(sources, "networking.nodeCIDRMaskSize.ipv4")
			} else {
				defaults["node-cidr-mask-size-ipv6"] = strconv.Itoa(c.Network.NodeMaskIPv6)
				sources = append(sources, "networking.nodeCIDRMaskSize.ipv6")
			}
		}
	}
	if len(c.ControllerManager.ExtraArgs) > 0 {
		sources = append(sources, "controllerManager.extraArgs")
	}
	f := flags{defaults: defaults, extra: c.ControllerManager.ExtraArgs}

	ms := &mounts{}
	ms.add("k8s-certs", compiler.PKIDir, corev1.HostPathDirectoryOrCreate, true)
	ms.addCACertDirs(h)
	ms.add("kubeconfig", compiler.ControllerManagerConfPath, corev1.HostPathFileOrCreate, true)
	if facts.flexVolumeMount {
		dir := compiler.FlexVolumePluginDir
		if v, ok := f.get("flex-volume-plugin-dir"); ok {
			dir = v
		}
		// Writable: third-party storage plugins talk to it over unix sockets.
		ms.add("flexvolume-dir", dir, corev1.HostPathDirectoryOrCreate, false)
	}
	ms.addFlagPaths(controllerManagerPathFlags, f)

	port := c.PortNamed(compiler.PortNameControllerManager).From
	bind, _ := f.get("bind-address")
	return component{
		name:   controllerManagerName,
		image:  c.ControlPlaneImage(controllerManagerName),
		flags:  f,
		mounts: ms,
		cpu:    "200m",
		probes: probes{
			host:     probeHost(bind),
			port:     port,
			scheme:   corev1.URISchemeHTTPS,
			liveness: "/healthz",
			startup:  "/healthz",
		},
	}.pod(), sources
}
