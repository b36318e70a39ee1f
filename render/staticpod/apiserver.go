package staticpod

import (
	"maps"
	"net"
	"net/netip"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/apiserversec"
)

const apiServerName = "kube-apiserver"

// Annotations of the apiserver pod that change when its security files do (securityFiles).
const (
	annotationEncryptionProviders = "kubeforge.dev/encryption-providers"
	annotationAuditPolicy         = "kubeforge.dev/audit-policy-sha256"
	annotationAdmissionConfig     = "kubeforge.dev/admission-config-sha256"
	annotationAuthnConfig         = "kubeforge.dev/authentication-config-sha256"
)

// apiServerPod returns h's kube-apiserver: advertising h's address, serving on the port
// table's apiserver port and talking to the etcd the topology names.
func apiServerPod(c *compiler.Cluster, h *compiler.Host) (*corev1.Pod, []string) {
	addr := h.AdvertiseAddress()
	port := c.PortNamed(compiler.PortNameAPIServer).From
	sources := []string{hostField(h, "addresses"), "apiServer.bindPort", "networking.serviceSubnets", "networking.dnsDomain",
		"etcd.topology", h.VersionField, "imageRepository", h.OSOrigin}
	if len(c.APIServer.ExtraArgs) > 0 {
		sources = append(sources, "apiServer.extraArgs")
	}
	etcdServers, etcdSources := etcdServers(c, addr)
	sources = append(sources, etcdSources...)

	defaults := map[string]string{
		"advertise-address":                  addr.String(),
		"allow-privileged":                   "true",
		"client-ca-file":                     compiler.CACertPath,
		"enable-admission-plugins":           apiserversec.DefaultAdmissionPlugins,
		"enable-bootstrap-token-auth":        "true",
		"etcd-cafile":                        compiler.EtcdCACertPath,
		"etcd-certfile":                      compiler.APIServerEtcdClientCert,
		"etcd-keyfile":                       compiler.APIServerEtcdClientKey,
		"etcd-servers":                       etcdServers,
		"kubelet-client-certificate":         compiler.APIServerKubeletClientCert,
		"kubelet-client-key":                 compiler.APIServerKubeletClientKey,
		"kubelet-preferred-address-types":    "InternalIP,ExternalIP,Hostname",
		"proxy-client-cert-file":             compiler.FrontProxyClientCert,
		"proxy-client-key-file":              compiler.FrontProxyClientKey,
		"requestheader-allowed-names":        "front-proxy-client",
		"requestheader-client-ca-file":       compiler.FrontProxyCACertPath,
		"requestheader-extra-headers-prefix": "X-Remote-Extra-",
		"requestheader-group-headers":        "X-Remote-Group",
		"requestheader-username-headers":     "X-Remote-User",
		"secure-port":                        strconv.Itoa(port),
		"service-account-issuer":             c.ServiceAccountIssuer(),
		"service-account-key-file":           compiler.ServiceAccountPubPath,
		"service-account-signing-key-file":   compiler.ServiceAccountKeyPath,
		"service-cluster-ip-range":           compiler.JoinPrefixes(c.Network.ServiceSubnets),
		"tls-cert-file":                      compiler.APIServerCertPath,
		"tls-private-key-file":               compiler.APIServerKeyPath,
	}
	// --authorization-config and --authorization-mode exclude each other.
	if _, structured := c.APIServer.ExtraArgs["authorization-config"]; !structured {
		defaults["authorization-mode"] = "Node,RBAC"
	}
	annotations := map[string]string{annotationAPIServerAdvertise: net.JoinHostPort(addr.String(), strconv.Itoa(port))}
	ms := &mounts{}
	ms.add("k8s-certs", compiler.PKIDir, corev1.HostPathDirectoryOrCreate, true)
	ms.addCACertDirs(h)
	secFlags := apiserversec.Flags(c)
	maps.Copy(defaults, secFlags)
	sources = append(sources, securityFiles(c, annotations, ms)...)
	// A flag the security fields set wins over the extra arg it merges
	// (enable-admission-plugins); the compiler refuses the others.
	extra := maps.Clone(c.APIServer.ExtraArgs)
	for name := range secFlags {
		delete(extra, name)
	}
	f := flags{defaults: defaults, extra: extra}
	ms.addFlagPaths(apiServerPathFlags, f)

	return component{
		name:        apiServerName,
		image:       c.HostImage(h, apiServerName),
		flags:       f,
		mounts:      ms,
		annotations: annotations,
		cpu:         "250m",
		probes: probes{
			host:      probeHost(addr.String()),
			port:      port,
			scheme:    corev1.URISchemeHTTPS,
			liveness:  "/livez",
			readiness: "/readyz",
			startup:   "/livez",
		},
	}.pod(), sources
}

// securityFiles adds to the apiserver what apiServer.encryptionAtRest, audit, admission and
// authentication ask beyond their flags (apiserversec.Flags): read-only mounts of the
// directories holding their files, the writable log directory, and annotations that change
// with the files' content, since the apiserver reads them only when it starts and a changed
// manifest is what restarts it. It returns the fields used.
func securityFiles(c *compiler.Cluster, annotations map[string]string, ms *mounts) []string {
	for _, m := range apiserversec.Mounts(c) {
		ms.add(m.Name, m.Path, m.Type, m.ReadOnly)
	}
	var sources []string
	if e := c.APIServer.EncryptionAtRest; e != nil {
		annotations[annotationEncryptionProviders] = apiserversec.ProvidersSummary(e)
		sources = append(sources, "apiServer.encryptionAtRest")
	}
	if a := c.APIServer.Audit; a != nil {
		annotations[annotationAuditPolicy] = apiserversec.PolicyDigest(a)
		sources = append(sources, "apiServer.audit")
	}
	if a := c.APIServer.Admission; a != nil {
		annotations[annotationAdmissionConfig] = apiserversec.Digest(apiserversec.AdmissionConfig(a))
		sources = append(sources, "apiServer.admission")
	}
	if a := c.APIServer.Authentication; a != nil {
		annotations[annotationAuthnConfig] = apiserversec.Digest(apiserversec.AuthenticationConfig(a))
		sources = append(sources, "apiServer.authentication")
	}
	return sources
}

// etcdServers returns the apiserver's --etcd-servers and the fields it came from: the local
// member for stacked etcd (or the URLs the user made it advertise), every member for
// dedicated etcd, the user's endpoints for external etcd.
func etcdServers(c *compiler.Cluster, addr netip.Addr) (string, []string) {
	// Looked up only where kubeforge runs etcd: the table has no etcd entries for external etcd.
	port := func() int { return c.PortNamed(compiler.PortNameEtcdClient).From }
	switch c.Etcd.Topology {
	case compiler.EtcdExternal:
		return strings.Join(c.Etcd.External.Endpoints, ","), []string{"etcd.external.endpoints"}
	case compiler.EtcdDedicated:
		var urls, sources []string
		for _, m := range c.EtcdMembers() {
			urls = append(urls, hostURL("https", m.AdvertiseAddress(), port()))
			sources = append(sources, hostField(m, "addresses"))
		}
		return strings.Join(urls, ","), sources
	}
	if v, ok := c.Etcd.ExtraArgs["advertise-client-urls"]; ok {
		return v, []string{"etcd.extraArgs"}
	}
	return hostURL("https", loopback(addr), port()), nil
}
