package pki

import (
	"crypto/x509"
	"fmt"
	"net/netip"
	"slices"

	"kubeforge.dev/kubeforge/compiler"
)

// The PKI is data: the tables below say what exists, who signs it, what it says and which
// hosts receive it. The same tables drive issuance, the store, the bundles and the
// least-privilege test, so a file cannot reach a host the tables do not send it to.

// hostRule reports whether a host receives something.
type hostRule func(c *compiler.Cluster, h *compiler.Host) bool

func anyHost(*compiler.Cluster, *compiler.Host) bool { return true }
func noHost(*compiler.Cluster, *compiler.Host) bool  { return false }

func controlPlane(_ *compiler.Cluster, h *compiler.Host) bool {
	return h.Has(compiler.RoleControlPlane)
}

// firstControlPlane holds for the description's first control-plane host only: the one that
// plays kubeadm init's part.
func firstControlPlane(c *compiler.Cluster, h *compiler.Host) bool {
	cps := c.HostsWith(compiler.RoleControlPlane)
	return len(cps) > 0 && cps[0] == h
}

func etcdMember(c *compiler.Cluster, h *compiler.Host) bool { return c.RunsEtcd(h) }

// etcdClient holds for the hosts talking to a kubeforge-managed etcd: members and apiservers.
func etcdClient(c *compiler.Cluster, h *compiler.Host) bool {
	return c.Etcd.Topology != compiler.EtcdExternal && (c.RunsEtcd(h) || h.Has(compiler.RoleControlPlane))
}

// apiserverOfManagedEtcd holds for control-plane hosts whose apiserver uses kubeforge's etcd.
func apiserverOfManagedEtcd(c *compiler.Cluster, h *compiler.Host) bool {
	return c.Etcd.Topology != compiler.EtcdExternal && h.Has(compiler.RoleControlPlane)
}

// registersNode holds for hosts whose kubelet registers a Node; a dedicated etcd host's
// kubelet runs standalone, only for the etcd static pod.
func registersNode(c *compiler.Cluster, h *compiler.Host) bool { return !c.EtcdOnly(h) }

// caID names a certificate authority.
type caID string

const (
	clusterCA    caID = "ca"
	frontProxyCA caID = "front-proxy-ca"
	etcdCA       caID = "etcd-ca"
)

// authority is one CA of the PKI.
type authority struct {
	ID caID
	// CN is the subject kubeadm gives it.
	CN string
	// Store is the base name in the store (and under /etc/kubernetes/pki): Store+".crt/.key".
	Store             string
	CertPath, KeyPath string
	// Needed reports whether the cluster uses this CA at all.
	Needed func(c *compiler.Cluster) bool
	// CertTo and KeyTo choose the hosts receiving the certificate and the private key.
	CertTo, KeyTo hostRule
}

// authorities lists the CAs in the order they are created.
var authorities = []authority{
	{
		ID: clusterCA, CN: "kubernetes", Store: "ca",
		CertPath: compiler.CACertPath, KeyPath: compiler.CAKeyPath,
		Needed: func(*compiler.Cluster) bool { return true },
		// Every kubelet checks client certificates against it; the controller-manager signs
		// kubelet CSRs with the key, so control-plane hosts need it and nothing else does.
		CertTo: anyHost, KeyTo: controlPlane,
	},
	{
		ID: frontProxyCA, CN: "front-proxy-ca", Store: "front-proxy-ca",
		CertPath: compiler.FrontProxyCACertPath, KeyPath: compiler.FrontProxyCAKeyPath,
		Needed: func(*compiler.Cluster) bool { return true },
		// Every front-proxy client certificate is issued here, so no host signs with it.
		CertTo: controlPlane, KeyTo: noHost,
	},
	{
		ID: etcdCA, CN: "etcd-ca", Store: "etcd/ca",
		CertPath: compiler.EtcdCACertPath, KeyPath: compiler.EtcdCAKeyPath,
		Needed: func(c *compiler.Cluster) bool { return c.Etcd.Topology != compiler.EtcdExternal },
		CertTo: etcdClient, KeyTo: noHost,
	},
}

func authorityByID(id caID) *authority {
	for i := range authorities {
		if authorities[i].ID == id {
			return &authorities[i]
		}
	}
	panic("pki: unknown CA " + string(id))
}

// The service-account key pair: the apiserver verifies tokens with sa.pub and signs them with
// sa.key, the controller-manager signs with sa.key. Both only on control-plane hosts.
const (
	saKeyStore = "sa.key"
	saPubStore = "sa.pub"
)

var saTo hostRule = controlPlane

// leafSpec is one certificate (with its key) that some hosts need, one per host.
type leafSpec struct {
	// Name is its base name in the host's store directory and in events.
	Name string
	CA   caID
	// Usages are the extended key usages.
	Usages []x509.ExtKeyUsage
	// SANs returns the names and addresses it must carry; nil for a client certificate.
	SANs func(c *compiler.Cluster, h *compiler.Host) altNames
	For  hostRule
	// CertPath and KeyPath place it on the node; for a kubeconfig's client certificate,
	// Kubeconfig is set instead.
	CertPath, KeyPath string
	Kubeconfig        *kubeconfigTarget
	// Sources names the description fields it depends on, beyond the key algorithm and
	// validity.
	Sources func(c *compiler.Cluster, h *compiler.Host) []string
}

// kubeconfigTarget is a kubeconfig file built around a client certificate.
type kubeconfigTarget struct {
	Path   string
	Server func(c *compiler.Cluster, h *compiler.Host) string
}

var (
	clientAuth = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	serverAuth = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	// etcd checks client usage on the certificates its members present to each other and on
	// its own server certificate when it dials itself, so kubeadm gives both usages.
	serverClientAuth = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
)

// endpointServer is the control-plane endpoint: what kubelets and admins dial.
func endpointServer(c *compiler.Cluster, _ *compiler.Host) string { return c.Endpoint.URL() }

// localServer is the host's own apiserver, which its controller-manager and scheduler dial so
// they keep working without the load balancer (as kubeadm does).
func localServer(c *compiler.Cluster, h *compiler.Host) string {
	return fmt.Sprintf("https://%s:%d", compiler.URLHost(h.AdvertiseAddress()), c.APIServer.BindPort)
}

// kubeletServer is where a node's kubelet dials: on a control-plane host its own apiserver, as
// kubeadm writes kubelet.conf there, so the kubelet neither depends on the load balancer nor
// meets an apiserver of another version during an upgrade; elsewhere the endpoint.
func kubeletServer(c *compiler.Cluster, h *compiler.Host) string {
	if h.Has(compiler.RoleControlPlane) {
		return localServer(c, h)
	}
	return endpointServer(c, h)
}

// leaves lists every per-host certificate, in the order they are issued and reported.
var leaves = []leafSpec{
	{
		Name: "apiserver", CA: clusterCA, Usages: serverAuth, SANs: apiserverSANs, For: controlPlane,
		CertPath: compiler.APIServerCertPath, KeyPath: compiler.APIServerKeyPath,
		Sources: func(c *compiler.Cluster, h *compiler.Host) []string {
			return append(hostSources(h), "apiServer.certSANs", "controlPlaneEndpoint", "networking.serviceSubnets", "networking.dnsDomain")
		},
	},
	{
		Name: "apiserver-kubelet-client", CA: clusterCA, Usages: clientAuth, For: controlPlane,
		CertPath: compiler.APIServerKubeletClientCert, KeyPath: compiler.APIServerKubeletClientKey,
	},
	{
		Name: "front-proxy-client", CA: frontProxyCA, Usages: clientAuth, For: controlPlane,
		CertPath: compiler.FrontProxyClientCert, KeyPath: compiler.FrontProxyClientKey,
	},
	{
		Name: "apiserver-etcd-client", CA: etcdCA, Usages: clientAuth, For: apiserverOfManagedEtcd,
		CertPath: compiler.APIServerEtcdClientCert, KeyPath: compiler.APIServerEtcdClientKey,
		Sources: func(*compiler.Cluster, *compiler.Host) []string { return []string{"etcd.topology"} },
	},
	{
		Name: "etcd/server", CA: etcdCA, Usages: serverClientAuth, SANs: etcdSANs, For: etcdMember,
		CertPath: compiler.EtcdServerCert, KeyPath: compiler.EtcdServerKey,
		Sources: func(c *compiler.Cluster, h *compiler.Host) []string { return append(hostSources(h), "etcd.topology") },
	},
	{
		Name: "etcd/peer", CA: etcdCA, Usages: serverClientAuth, SANs: etcdSANs, For: etcdMember,
		CertPath: compiler.EtcdPeerCert, KeyPath: compiler.EtcdPeerKey,
		Sources: func(c *compiler.Cluster, h *compiler.Host) []string { return append(hostSources(h), "etcd.topology") },
	},
	{
		Name: "etcd/healthcheck-client", CA: etcdCA, Usages: clientAuth, For: etcdMember,
		CertPath: compiler.EtcdHealthcheckClientCert, KeyPath: compiler.EtcdHealthcheckClientKey,
		Sources: func(*compiler.Cluster, *compiler.Host) []string { return []string{"etcd.topology"} },
	},
	{
		Name: "admin", CA: clusterCA, Usages: clientAuth, For: controlPlane,
		Kubeconfig: &kubeconfigTarget{Path: compiler.AdminConfPath, Server: endpointServer},
		Sources:    endpointSources,
	},
	{
		// system:masters, which no RBAC change can revoke: a break-glass credential, needed
		// once to apply the cluster bundle (admin.conf's rights come from it). kubeadm writes
		// it only on the node that ran kubeadm init; kubeforge on the first control-plane host.
		Name: "super-admin", CA: clusterCA, Usages: clientAuth, For: firstControlPlane,
		Kubeconfig: &kubeconfigTarget{Path: compiler.SuperAdminConfPath, Server: endpointServer},
		Sources:    endpointSources,
	},
	{
		Name: "controller-manager", CA: clusterCA, Usages: clientAuth, For: controlPlane,
		Kubeconfig: &kubeconfigTarget{Path: compiler.ControllerManagerConfPath, Server: localServer},
		Sources:    localSources,
	},
	{
		Name: "scheduler", CA: clusterCA, Usages: clientAuth, For: controlPlane,
		Kubeconfig: &kubeconfigTarget{Path: compiler.SchedulerConfPath, Server: localServer},
		Sources:    localSources,
	},
	{
		Name: "kubelet-client", CA: clusterCA, Usages: clientAuth, For: registersNode,
		Kubeconfig: &kubeconfigTarget{Path: compiler.KubeletConfPath, Server: kubeletServer},
		Sources: func(c *compiler.Cluster, h *compiler.Host) []string {
			if h.Has(compiler.RoleControlPlane) {
				return append(nodeNameSources(h), "name", hostField(h, "addresses"), "apiServer.bindPort")
			}
			return append(nodeNameSources(h), "name", "controlPlaneEndpoint")
		},
	},
	{
		// Every kubelet serves its API (logs, exec, metrics) with a certificate the apiserver
		// can check against the cluster CA, instead of a self-signed one. The kubelet picks up
		// kubelet.crt/kubelet.key in its certificate directory when they exist.
		Name: "kubelet-serving", CA: clusterCA, Usages: serverAuth, SANs: kubeletServingSANs, For: anyHost,
		CertPath: compiler.KubeletServingCert, KeyPath: compiler.KubeletServingKey,
		Sources: func(c *compiler.Cluster, h *compiler.Host) []string { return hostSources(h) },
	},
}

func leafByName(name string) *leafSpec {
	for i := range leaves {
		if leaves[i].Name == name {
			return &leaves[i]
		}
	}
	return nil
}

func hostField(h *compiler.Host, field string) string {
	return h.Field(field)
}

func nodeNameSources(h *compiler.Host) []string {
	out := []string{hostField(h, "name")}
	if h.NodeName != h.Name {
		out = append(out, hostField(h, "nodeName"))
	}
	return out
}

func hostSources(h *compiler.Host) []string {
	return append(nodeNameSources(h), hostField(h, "addresses"))
}

func endpointSources(*compiler.Cluster, *compiler.Host) []string {
	return []string{"name", "controlPlaneEndpoint"}
}

func localSources(_ *compiler.Cluster, h *compiler.Host) []string {
	return []string{"name", hostField(h, "addresses"), "apiServer.bindPort"}
}

// subject is a certificate's subject: common name and organizations (groups).
type subject struct {
	CN string
	O  []string
	// PerNode appends the host's node name to CN.
	PerNode bool
}

// subjectFor returns the subject of leaf name on host h: the one the host's row of the
// version table (compiler.Release) gives it, since the host runs the kubeadm and components
// of its own version while a roll-out moves hosts one by one.
func subjectFor(name string, h *compiler.Host) subject {
	s, ok := h.Release.Subjects[name]
	if !ok {
		panic("pki: no subject for " + name + " in the version table row of Kubernetes " + h.Version.MinorString() + " (host " + h.Name + ")")
	}
	out := subject{CN: s.CN, O: slices.Clone(s.Organizations), PerNode: s.PerNode}
	if out.PerNode {
		out.CN += h.NodeName
	}
	return out
}

// altNames are a certificate's subject alternative names.
type altNames struct {
	DNS []string
	IPs []netip.Addr
}

// add appends names and addresses; normalize later sorts and deduplicates.
func (a *altNames) addDNS(names ...string)   { a.DNS = append(a.DNS, names...) }
func (a *altNames) addIPs(ips ...netip.Addr) { a.IPs = append(a.IPs, ips...) }
func (a *altNames) addAny(values ...string) {
	for _, v := range values {
		if ip, err := netip.ParseAddr(v); err == nil {
			a.addIPs(ip)
		} else {
			a.addDNS(v)
		}
	}
}

// normalize sorts DNS names (kubeadm does too) and removes duplicates, keeping the first
// occurrence of each address.
func (a altNames) normalize() altNames {
	dns := slices.Clone(a.DNS)
	slices.Sort(dns)
	dns = slices.Compact(dns)
	var ips []netip.Addr
	for _, ip := range a.IPs {
		ip = ip.Unmap()
		if !slices.Contains(ips, ip) {
			ips = append(ips, ip)
		}
	}
	return altNames{DNS: dns, IPs: ips}
}

// apiserverSANs: every name a client may use for this apiserver: its host and node names, the
// in-cluster service names, the "kubernetes" service IP of each service network, the host's
// addresses, the endpoint and the user's extra SANs.
func apiserverSANs(c *compiler.Cluster, h *compiler.Host) altNames {
	var a altNames
	a.addDNS(h.NodeName, h.Name, "kubernetes", "kubernetes.default", "kubernetes.default.svc",
		"kubernetes.default.svc."+c.Network.DNSDomain)
	a.addIPs(c.KubernetesServiceIPs()...)
	a.addIPs(h.Addresses...)
	a.addAny(c.Endpoint.Host)
	a.addAny(c.APIServer.CertSANs...)
	return a.normalize()
}

// etcdSANs: the member's names, its addresses and loopback, where it listens for clients and
// peers.
func etcdSANs(_ *compiler.Cluster, h *compiler.Host) altNames {
	var a altNames
	a.addDNS(h.NodeName, h.Name, "localhost")
	a.addIPs(h.Addresses...)
	a.addIPs(netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback())
	return a.normalize()
}

// kubeletServingSANs: the names and addresses the apiserver dials the kubelet at.
func kubeletServingSANs(_ *compiler.Cluster, h *compiler.Host) altNames {
	var a altNames
	a.addDNS(h.NodeName, h.Name)
	a.addIPs(h.Addresses...)
	return a.normalize()
}
