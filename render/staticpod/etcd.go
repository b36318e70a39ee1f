package staticpod

import (
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"kubeforge.dev/kubeforge/compiler"
)

const (
	etcdName          = "etcd"
	etcdSnapshotCount = "10000"
)

// etcdPod returns h's etcd member: named after its node, advertising its own address, and
// listing every member in --initial-cluster, so all members bootstrap one cluster together.
func etcdPod(c *compiler.Cluster, h *compiler.Host) (*corev1.Pod, []string, error) {
	addr := h.AdvertiseAddress()
	local := loopback(addr)
	clientPort := c.PortNamed(compiler.PortNameEtcdClient).From
	peerPort := c.PortNamed(compiler.PortNameEtcdPeer).From
	metricsPort := c.PortNamed(compiler.PortNameEtcdMetrics).From
	clientURL := hostURL("https", addr, clientPort)
	peerURL := hostURL("https", addr, peerPort)

	sources := []string{"etcd.topology", "etcd.dataDir", hostField(h, "addresses"), nodeNameField(h), h.VersionField, "imageRepository"}
	var initial []string
	for _, m := range c.EtcdMembers() {
		initial = append(initial, m.NodeName+"="+hostURL("https", m.AdvertiseAddress(), peerPort))
		sources = append(sources, hostField(m, "addresses"), nodeNameField(m))
	}
	if len(c.Etcd.ExtraArgs) > 0 {
		sources = append(sources, "etcd.extraArgs")
	}

	defaults := map[string]string{
		"name":                        h.NodeName,
		"advertise-client-urls":       clientURL,
		"listen-client-urls":          hostURL("https", local, clientPort) + "," + clientURL,
		"listen-peer-urls":            peerURL,
		"initial-advertise-peer-urls": peerURL,
		"initial-cluster":             strings.Join(initial, ","),
		"initial-cluster-state":       "new",
		"data-dir":                    c.Etcd.DataDir,
		"cert-file":                   compiler.EtcdServerCert,
		"key-file":                    compiler.EtcdServerKey,
		"trusted-ca-file":             compiler.EtcdCACertPath,
		"client-cert-auth":            "true",
		"peer-cert-file":              compiler.EtcdPeerCert,
		"peer-key-file":               compiler.EtcdPeerKey,
		"peer-trusted-ca-file":        compiler.EtcdCACertPath,
		"peer-client-cert-auth":       "true",
		"snapshot-count":              etcdSnapshotCount,
		"listen-metrics-urls":         hostURL("http", local, metricsPort),
	}
	// Flags whose spelling follows the etcd release of the minor's image.
	maps.Copy(defaults, h.Release.EtcdFlags)
	f := flags{defaults: defaults, extra: c.Etcd.ExtraArgs}

	ms := &mounts{}
	ms.add("etcd-data", c.Etcd.DataDir, corev1.HostPathDirectoryOrCreate, false)
	ms.add("etcd-certs", compiler.EtcdPKIDir, corev1.HostPathDirectoryOrCreate, false)
	ms.addFlagPaths(etcdPathFlags, f)

	metrics, _ := f.get("listen-metrics-urls")
	pr, err := etcdProbes(metrics, local.String())
	if err != nil {
		return nil, nil, err
	}
	return component{
		name:        etcdName,
		image:       c.EtcdImage(h),
		flags:       f,
		mounts:      ms,
		annotations: map[string]string{annotationEtcdClientURLs: clientURL},
		cpu:         "100m",
		memory:      "100Mi",
		probes:      pr,
	}.pod(), sources, nil
}

// etcdProbes returns probes on the first metrics URL etcd listens on, which serves /livez
// and /readyz without client certificates.
func etcdProbes(metricsURLs, local string) (probes, error) {
	first, _, _ := strings.Cut(metricsURLs, ",")
	u, err := url.Parse(first)
	if err != nil || u.Port() == "" {
		return probes{}, fmt.Errorf("etcd listen-metrics-urls %q: expected a URL with a port, such as http://127.0.0.1:2381", metricsURLs)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return probes{}, fmt.Errorf("etcd listen-metrics-urls %q: invalid port", metricsURLs)
	}
	host := u.Hostname()
	if host == "" {
		host = local
	}
	scheme := corev1.URISchemeHTTP
	if u.Scheme == "https" {
		scheme = corev1.URISchemeHTTPS
	}
	return probes{host: probeHost(host), port: port, scheme: scheme, liveness: "/livez", readiness: "/readyz", startup: "/readyz"}, nil
}

// hostField returns the description path of a field of h.
func hostField(h *compiler.Host, field string) string {
	return h.Field(field)
}

// nodeNameField returns the description path h's node name came from.
func nodeNameField(h *compiler.Host) string {
	if h.NodeName != h.Name {
		return hostField(h, "nodeName")
	}
	return hostField(h, "name")
}
