package compiler

import (
	"fmt"
	"maps"
	"slices"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// Why a flag without a field of its own is managed.
const (
	managedPort = "kubeforge's port table fixes this port for probes and firewall rules; remove the flag"
	managedFile = "it names a file kubeforge writes (certificates, keys, kubeconfigs, configuration), so pointing it elsewhere discards what kubeforge issued; remove the flag"
)

// managedFlags are component flags kubeforge derives from fields of the description or points
// at files it writes. Setting one through extraArgs would let the flag and what else the field
// drives (the port table's firewall rules and probes, certificates, the other components, the
// cluster bundle's copy of the kubelet configuration) disagree, so the field must be used
// instead. kubeadm's policy defaults that derive from nothing (authorization-mode,
// enable-admission-plugins, profiling, leader-elect, ...) stay overridable.
var managedFlags = []struct {
	component string // a component of argsOf
	flag      string
	field     string // the field to set instead
	why       string // when there is no field: why the flag is kubeforge's
}{
	{component: "apiServer", flag: "secure-port", field: "apiServer.bindPort"},
	{component: "apiServer", flag: "service-cluster-ip-range", field: "networking.serviceSubnets"},
	{component: "apiServer", flag: "etcd-servers", field: "etcd.topology and etcd.external.endpoints"},
	{component: "apiServer", flag: "advertise-address", field: "the host's first address (hosts[].addresses)"},
	{component: "apiServer", flag: "etcd-cafile", why: managedFile},
	{component: "apiServer", flag: "etcd-certfile", why: managedFile},
	{component: "apiServer", flag: "etcd-keyfile", why: managedFile},
	{component: "apiServer", flag: "client-ca-file", why: managedFile},
	{component: "apiServer", flag: "kubelet-client-certificate", why: managedFile},
	{component: "apiServer", flag: "kubelet-client-key", why: managedFile},
	{component: "apiServer", flag: "proxy-client-cert-file", why: managedFile},
	{component: "apiServer", flag: "proxy-client-key-file", why: managedFile},
	{component: "apiServer", flag: "requestheader-client-ca-file", why: managedFile},
	{component: "apiServer", flag: "service-account-key-file", why: managedFile},
	{component: "apiServer", flag: "service-account-signing-key-file", why: managedFile},
	{component: "apiServer", flag: "tls-cert-file", why: managedFile},
	{component: "apiServer", flag: "tls-private-key-file", why: managedFile},

	{component: "controllerManager", flag: "secure-port", why: managedPort},
	{component: "controllerManager", flag: "cluster-name", field: "name"},
	{component: "controllerManager", flag: "cluster-cidr", field: "networking.podSubnets"},
	{component: "controllerManager", flag: "service-cluster-ip-range", field: "networking.serviceSubnets"},
	{component: "controllerManager", flag: "node-cidr-mask-size", field: "networking.nodeCIDRMaskSize"},
	{component: "controllerManager", flag: "node-cidr-mask-size-ipv4", field: "networking.nodeCIDRMaskSize.ipv4"},
	{component: "controllerManager", flag: "node-cidr-mask-size-ipv6", field: "networking.nodeCIDRMaskSize.ipv6"},
	{component: "controllerManager", flag: "kubeconfig", why: managedFile},
	{component: "controllerManager", flag: "authentication-kubeconfig", why: managedFile},
	{component: "controllerManager", flag: "authorization-kubeconfig", why: managedFile},
	{component: "controllerManager", flag: "client-ca-file", why: managedFile},
	{component: "controllerManager", flag: "cluster-signing-cert-file", why: managedFile},
	{component: "controllerManager", flag: "cluster-signing-key-file", why: managedFile},
	{component: "controllerManager", flag: "requestheader-client-ca-file", why: managedFile},
	{component: "controllerManager", flag: "root-ca-file", why: managedFile},
	{component: "controllerManager", flag: "service-account-private-key-file", why: managedFile},

	{component: "scheduler", flag: "secure-port", why: managedPort},
	{component: "scheduler", flag: "kubeconfig", why: managedFile},
	{component: "scheduler", flag: "authentication-kubeconfig", why: managedFile},
	{component: "scheduler", flag: "authorization-kubeconfig", why: managedFile},

	{component: "etcd", flag: "data-dir", field: "etcd.dataDir"},
	{component: "etcd", flag: "name", field: "the host's node name (each member is named after its node)"},
	{component: "etcd", flag: "initial-cluster", field: "the etcd hosts of the description"},
	{component: "etcd", flag: "initial-advertise-peer-urls", field: "the host's first address (hosts[].addresses)"},
	{component: "etcd", flag: "listen-peer-urls", field: "the host's first address (hosts[].addresses)"},
	{component: "etcd", flag: "cert-file", why: managedFile},
	{component: "etcd", flag: "key-file", why: managedFile},
	{component: "etcd", flag: "trusted-ca-file", why: managedFile},
	{component: "etcd", flag: "peer-cert-file", why: managedFile},
	{component: "etcd", flag: "peer-key-file", why: managedFile},
	{component: "etcd", flag: "peer-trusted-ca-file", why: managedFile},

	// kubeadm-flags.env and the drop-in: per-node flags and kubeforge's files.
	{component: "kubelet", flag: "node-ip", field: "hosts[].addresses"},
	{component: "kubelet", flag: "hostname-override", field: "hosts[].nodeName"},
	{component: "kubelet", flag: "node-labels", field: "labels"},
	{component: "kubelet", flag: "register-with-taints", field: "taints"},
	{component: "kubelet", flag: "container-runtime-endpoint", field: "containerRuntime.criSocket"},
	{component: "kubelet", flag: "config", why: managedFile},
	{component: "kubelet", flag: "kubeconfig", why: managedFile},
	{component: "kubelet", flag: "bootstrap-kubeconfig", why: managedFile},
	{component: "kubelet", flag: "tls-cert-file", why: managedFile},
	{component: "kubelet", flag: "tls-private-key-file", why: managedFile},
	{component: "kubelet", flag: "pod-manifest-path", why: managedFile},
	{component: "kubelet", flag: "port", why: managedPort},
	{component: "kubelet", flag: "healthz-port", why: managedPort},
	{component: "kubelet", flag: "healthz-bind-address", why: managedPort},
	// config.yaml: the kubelet lets a flag override its config file, so a flag would silently
	// defeat the field (and the kubelet-config ConfigMap would no longer say what runs).
	{component: "kubelet", flag: "cluster-dns", field: "networking.serviceSubnets"},
	{component: "kubelet", flag: "cluster-domain", field: "networking.dnsDomain"},
	{component: "kubelet", flag: "cgroup-driver", field: "containerRuntime.cgroupDriver"},
	{component: "kubelet", flag: "max-pods", field: "the kubelet field maxPods"},
	{component: "kubelet", flag: "system-reserved", field: "the kubelet field systemReserved"},
	{component: "kubelet", flag: "kube-reserved", field: "the kubelet field kubeReserved"},
	{component: "kubelet", flag: "eviction-hard", field: "the kubelet field evictionHard"},
	{component: "kubelet", flag: "enforce-node-allocatable", field: "the kubelet field enforceNodeAllocatable"},
	{component: "kubelet", flag: "system-reserved-cgroup", field: "the kubelet field systemReservedCgroup"},
	{component: "kubelet", flag: "kube-reserved-cgroup", field: "the kubelet field kubeReservedCgroup"},
	{component: "kubelet", flag: "resolv-conf", field: "the kubelet field resolvConf"},
	{component: "kubelet", flag: "fail-swap-on", field: "the kubelet field failSwapOn"},
	{component: "kubelet", flag: "image-gc-high-threshold", field: "the kubelet field imageGC.highThresholdPercent"},
	{component: "kubelet", flag: "image-gc-low-threshold", field: "the kubelet field imageGC.lowThresholdPercent"},
	{component: "kubelet", flag: "minimum-image-ttl-duration", field: "the kubelet field imageGC.minimumAge"},
	{component: "kubelet", flag: "read-only-port", field: "the kubelet field readOnlyPort"},
	{component: "kubelet", flag: "anonymous-auth", field: "the kubelet field anonymousAuth"},
	{component: "kubelet", flag: "authentication-token-webhook", field: "the kubelet field webhookAuthentication"},
	{component: "kubelet", flag: "authorization-mode", field: "the kubelet field authorizationMode"},
	{component: "kubelet", flag: "client-ca-file", field: "the kubelet field clientCAFile"},
	{component: "kubelet", flag: "rotate-certificates", field: "the kubelet field rotateCertificates"},
	{component: "kubelet", flag: "feature-gates", field: "the kubelet field featureGates"},
}

// removedFlags are flags the components of every supported minor no longer have: a component
// given an unknown flag refuses to start.
var removedFlags = []struct {
	component, flag, since string
}{
	{"apiServer", "insecure-port", "1.24"},
	{"apiServer", "insecure-bind-address", "1.24"},
	{"apiServer", "port", "1.24"},
	{"apiServer", "address", "1.24"},
	{"apiServer", "basic-auth-file", "1.19"},
	{"controllerManager", "port", "1.24"},
	{"controllerManager", "address", "1.24"},
	{"kubelet", "network-plugin", "1.24"},
	{"kubelet", "network-plugin-mtu", "1.24"},
	{"kubelet", "cni-bin-dir", "1.24"},
	{"kubelet", "cni-conf-dir", "1.24"},
	{"kubelet", "cni-cache-dir", "1.24"},
	{"kubelet", "docker-endpoint", "1.24"},
	{"kubelet", "container-runtime", "1.27"},
}

// componentNames are the programs behind the components of argsOf, for messages.
var componentNames = map[string]string{
	"apiServer": "kube-apiserver", "controllerManager": "kube-controller-manager", "scheduler": "kube-scheduler",
	"etcd": "etcd", "kubelet": "the kubelet",
}

// argsOf returns where a component's extra args are written: a path per flag, and the flag's
// value there. The kubelet's come from every layer of kubelet settings, each flag at the path
// of the layer that set it last for some host.
func (k *checker) argsOf(component string) map[string]map[string]string {
	out := map[string]map[string]string{} // flag -> path -> value
	put := func(flag, path, value string) {
		if out[flag] == nil {
			out[flag] = map[string]string{}
		}
		out[flag][path] = value
	}
	c := k.c
	static := map[string]Args{
		"apiServer": c.APIServer.ExtraArgs, "controllerManager": c.ControllerManager.ExtraArgs,
		"scheduler": c.Scheduler.ExtraArgs, "etcd": c.Etcd.ExtraArgs,
	}
	if args, ok := static[component]; ok {
		for flag, v := range args {
			put(flag, FieldPath(component, "extraArgs", Key(flag)), v)
		}
		return out
	}
	for _, h := range c.Hosts {
		for flag, v := range h.Kubelet.ExtraArgs {
			put(flag, h.Kubelet.Origin[argField(flag)], v)
		}
	}
	return out
}

// managedArgs reports extra args that override flags kubeforge derives from the description,
// and flags the components no longer have.
func (k *checker) managedArgs() {
	byComponent := map[string]map[string]map[string]string{}
	args := func(component string) map[string]map[string]string {
		if _, ok := byComponent[component]; !ok {
			byComponent[component] = k.argsOf(component)
		}
		return byComponent[component]
	}
	for _, m := range managedFlags {
		for _, path := range slices.Sorted(maps.Keys(args(m.component)[m.flag])) {
			detail := "set " + m.field + " instead; kubeforge derives --" + m.flag + " from it and keeps everything that depends on it in step"
			if m.field == "" {
				detail = m.why
			}
			k.errorf(diag.CodeManagedFlag, path, detail, "--%s is managed by kubeforge", m.flag)
		}
	}
	for _, r := range removedFlags {
		for _, path := range slices.Sorted(maps.Keys(args(r.component)[r.flag])) {
			k.errorf(diag.CodeUnknownFlag, path, fmt.Sprintf("%s refuses to start with a flag it does not know; remove it", componentNames[r.component]),
				"--%s was removed in Kubernetes %s", r.flag, r.since)
		}
	}
}
