// Package compiler turns a checked cluster description into the model kubeforge compiles:
// defaults applied, host settings merged, cross-field checks passed, and a plan for every host.
//
// Where things live: build.go turns the description into the model (model.go), kubelet.go
// merges the host-setting layers; checks*.go hold the cross-field checks, one family a file,
// each reporting with a stable code of diag.Codes; the tables every renderer reads are
// releases.go (a row per Kubernetes minor), ports.go, paths.go and layout.go (node paths and
// file names); fieldpath.go is the one builder of field paths (FieldPath, Host.Field) that
// diagnostics and provenance use.
package compiler

import (
	"net/netip"
	"slices"
	"time"
)

// Role is what a host does in the cluster.
type Role string

const (
	RoleControlPlane Role = "control-plane"
	RoleEtcd         Role = "etcd"
	RoleWorker       Role = "worker"
)

// Cluster is a checked description with every default applied.
type Cluster struct {
	Name string
	// Version is the cluster's kubernetesVersion: the cluster bundle's (kube-proxy, CoreDNS,
	// kubeadm-config, kubelet-config) and the default of every host; Release is its row of
	// the version table. A host may run another (Host.Version) within the version skew
	// policy (skew.go).
	Version         Version
	Release         Release
	ImageRepository string
	// Endpoint is where kubelets and kubeconfigs reach the apiservers: the load-balanced
	// endpoint, or the only control-plane host.
	Endpoint          Endpoint
	APIServer         APIServer
	ControllerManager Component
	Scheduler         Component
	Network           Network
	Etcd              Etcd
	Runtime           Runtime
	PKI               PKI
	Proxy             *Proxy
	Firewall          Firewall
	// Sysctls are the user's extra sysctls, sorted by key.
	Sysctls []Sysctl
	Addons  Addons
	// Kubelet holds the cluster-wide kubelet settings (before host overrides).
	Kubelet Kubelet
	Hosts   []*Host
	// Waivers are the benchmark controls (kubeforge check) the description accepts failing,
	// sorted by ID.
	Waivers []Waiver
	// SourceDir is where relative paths in the description are resolved from.
	SourceDir string
}

// Endpoint is a host name or address with a port.
type Endpoint struct {
	Host string
	Port int
	// Explicit is false when the endpoint was derived from the only control-plane host.
	Explicit bool
	// Fields are the description fields the endpoint comes from (for provenance):
	// controlPlaneEndpoint, or the control-plane host's addresses, and apiServer.bindPort
	// when no port was written.
	Fields []string
}

type APIServer struct {
	BindPort  int
	CertSANs  []string
	ExtraArgs Args
	// EncryptionAtRest and Audit are nil when the description does not ask for them
	// (apiserversec.go).
	EncryptionAtRest *EncryptionAtRest
	Audit            *Audit
	// Admission and Authentication are nil when the description does not ask for them
	// (admission.go, authentication.go).
	Admission      *Admission
	Authentication *Authentication
}

type Component struct {
	ExtraArgs Args
}

// Args are extra command-line flags, name (without dashes) to value.
type Args map[string]string

type Network struct {
	PodSubnets     []netip.Prefix
	ServiceSubnets []netip.Prefix
	DNSDomain      string
	NodeMaskIPv4   int
	NodeMaskIPv6   int
	NodePorts      PortRange
}

// PortRange is an inclusive range of ports.
type PortRange struct{ From, To int }

type EtcdTopology string

const (
	EtcdStacked   EtcdTopology = "stacked"
	EtcdDedicated EtcdTopology = "dedicated"
	EtcdExternal  EtcdTopology = "external"
)

type Etcd struct {
	Topology  EtcdTopology
	DataDir   string
	ExtraArgs Args
	External  *ExternalEtcd
}

// ExternalEtcd is an etcd cluster kubeforge does not run; the files are on the compiling
// machine, resolved against Cluster.SourceDir.
type ExternalEtcd struct {
	Endpoints []string
	CAFile    string
	CertFile  string
	KeyFile   string
	// CA, Cert and Key are the files' contents, read and checked when the description is
	// loaded.
	CA, Cert, Key []byte
}

type Runtime struct {
	Kind         string
	CRISocket    string
	CgroupDriver string
	Containerd   ContainerdConfig
	// Registries are the cluster-level registry mirrors (runtime.go); hosts may override them.
	Registries []Registry
}

type KeyAlgorithm string

const (
	ECDSAP256 KeyAlgorithm = "ECDSA-P256"
	ECDSAP384 KeyAlgorithm = "ECDSA-P384"
	RSA2048   KeyAlgorithm = "RSA-2048"
	RSA3072   KeyAlgorithm = "RSA-3072"
	RSA4096   KeyAlgorithm = "RSA-4096"
)

type PKI struct {
	KeyAlgorithm KeyAlgorithm
	CAValidity   time.Duration
	CertValidity time.Duration
}

type Proxy struct {
	HTTP, HTTPS string
	// NoProxy is the user's list followed by what the cluster itself needs, without duplicates.
	NoProxy []string
	// Fields are the description fields the proxy settings come from (for provenance): the
	// proxy section and every field NoProxy takes an entry from.
	Fields []string
}

type Firewall struct {
	Enabled    bool
	Zone       string
	ExtraPorts []Port
}

type Sysctl struct{ Key, Value string }

type Addons struct {
	KubeProxy     bool
	KubeProxyMode string
	CoreDNS       bool
}

// Host is one machine of the cluster with its effective settings.
type Host struct {
	// Index is the host's position in the description's hosts list.
	Index     int
	Name      string
	NodeName  string
	Addresses []netip.Addr
	Roles     []Role
	Group     string
	Labels    map[string]string
	Taints    []Taint
	// Kubelet is the host's effective kubelet settings: cluster, hostDefaults, group, host.
	Kubelet Kubelet
	// Registries are the host's effective registry mirrors, sorted by name.
	Registries []Registry
	// Version is the host's Kubernetes version (its kubelet, and its static pods on a
	// control-plane or etcd host), Release its row of the version table, which the host's
	// renderers read; VersionField is the description path that set it: kubernetesVersion,
	// groups.NAME.kubernetesVersion or hosts[i].kubernetesVersion.
	Version      Version
	Release      Release
	VersionField string
	// OS is the host's operating system family, and OSOrigin the description path that set
	// it (hostDefaults.os, groups.NAME.os or hosts[i].os).
	OS       OSFamily
	OSOrigin string
}

// Has reports whether the host has role r.
func (h *Host) Has(r Role) bool { return slices.Contains(h.Roles, r) }

// RunsEtcd reports whether the host runs an etcd member managed by kubeforge.
func (c *Cluster) RunsEtcd(h *Host) bool {
	switch c.Etcd.Topology {
	case EtcdStacked:
		return h.Has(RoleControlPlane)
	case EtcdDedicated:
		return h.Has(RoleEtcd)
	}
	return false
}

// EtcdOnly reports whether the host is a dedicated etcd host whose kubelet only manages etcd.
func (c *Cluster) EtcdOnly(h *Host) bool {
	return c.Etcd.Topology == EtcdDedicated && h.Has(RoleEtcd) && !h.Has(RoleControlPlane) && !h.Has(RoleWorker)
}

// RunsStaticPods reports whether the host's kubelet runs static pods from the manifests dir.
func (c *Cluster) RunsStaticPods(h *Host) bool {
	return h.Has(RoleControlPlane) || c.RunsEtcd(h)
}

// NodeIPs returns the first address of each family, IPv4 first: the node's IPs.
func (h *Host) NodeIPs() []netip.Addr {
	var v4, v6 []netip.Addr
	for _, a := range h.Addresses {
		if a.Is4() && len(v4) == 0 {
			v4 = append(v4, a)
		}
		if a.Is6() && len(v6) == 0 {
			v6 = append(v6, a)
		}
	}
	return append(v4, v6...)
}

// AdvertiseAddress returns the address the host's apiserver and etcd member advertise: its
// first address.
func (h *Host) AdvertiseAddress() netip.Addr { return h.Addresses[0] }

// HostsWith returns the hosts having role r, in description order.
func (c *Cluster) HostsWith(r Role) []*Host {
	var out []*Host
	for _, h := range c.Hosts {
		if h.Has(r) {
			out = append(out, h)
		}
	}
	return out
}

// EtcdMembers returns the hosts running kubeforge-managed etcd members, in description order.
func (c *Cluster) EtcdMembers() []*Host {
	var out []*Host
	for _, h := range c.Hosts {
		if c.RunsEtcd(h) {
			out = append(out, h)
		}
	}
	return out
}

type Taint struct {
	Key, Value, Effect string
}

// Kubelet is a complete set of kubelet settings.
type Kubelet struct {
	MaxPods                int
	CgroupDriver           string
	SystemReserved         map[string]string
	KubeReserved           map[string]string
	EvictionHard           map[string]string
	EnforceNodeAllocatable []string
	SystemReservedCgroup   string
	KubeReservedCgroup     string
	ResolvConf             string
	FailSwapOn             bool
	SwapBehavior           string
	ImageGCHighPercent     *int
	ImageGCLowPercent      *int
	ImageMinimumGCAge      string
	ReadOnlyPort           int
	AnonymousAuth          bool
	WebhookAuthentication  bool
	AuthorizationMode      string
	ClientCAFile           string
	RotateCertificates     bool
	FeatureGates           map[string]bool
	ExtraArgs              Args
	// ImageCredentialProviders are the exec plugins of the kubelet's CredentialProviderConfig,
	// in order; the kubelet gets the file and its flags only when there is one.
	ImageCredentialProviders      []CredentialProvider
	ImageCredentialProviderBinDir string
	// Origin maps each field name (as in the description), and each extra arg as
	// extraArgs["flag"], to the description path that set it last, for provenance and for the
	// position of diagnostics.
	Origin map[string]string
}

// Host returns the host named name.
func (c *Cluster) Host(name string) (*Host, bool) {
	for _, h := range c.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return nil, false
}
