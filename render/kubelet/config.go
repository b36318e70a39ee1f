package kubelet

import (
	"fmt"
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeletconfigv1beta1 "k8s.io/kubelet/config/v1beta1"

	"kubeforge.dev/kubeforge/compiler"
)

// healthzBindAddress keeps the kubelet's /healthz on loopback, as kubeadm does.
const healthzBindAddress = "127.0.0.1"

// Config returns the KubeletConfiguration of the host's config.yaml: the node's, or on a
// dedicated etcd host the standalone one that only runs etcd.
func Config(c *compiler.Cluster, h *compiler.Host) (*kubeletconfigv1beta1.KubeletConfiguration, error) {
	cfg, _, err := hostConfig(c, h)
	return cfg, err
}

// ClusterConfig returns the cluster-wide KubeletConfiguration, built from the cluster's kubelet
// settings without any host's: what kubeadm keeps in the kubelet-config ConfigMap.
func ClusterConfig(c *compiler.Cluster) (*kubeletconfigv1beta1.KubeletConfiguration, error) {
	cfg, _, err := settingsConfig(c, c.Kubelet)
	if err != nil {
		return nil, err
	}
	// kubeadm's cluster-wide config names the manifests dir for every node; keeping it means a
	// `kubeadm upgrade node` that rebuilds config.yaml from the ConfigMap keeps the static pods.
	cfg.StaticPodPath = compiler.ManifestsDir
	return cfg, nil
}

// hostConfig returns the host's KubeletConfiguration and the description fields it came from.
func hostConfig(c *compiler.Cluster, h *compiler.Host) (*kubeletconfigv1beta1.KubeletConfiguration, []string, error) {
	if c.EtcdOnly(h) {
		return etcdServiceManagerConfig(c, h)
	}
	cfg, src, err := settingsConfig(c, h.Kubelet)
	if err != nil {
		return nil, nil, fmt.Errorf("host %s: %w", h.Name, err)
	}
	// Every node names the manifests directory, workers included, as kubeadm's config.yaml
	// does: it comes from the kubelet-config ConfigMap, from which `kubeadm upgrade node`
	// rewrites config.yaml, so leaving it out on workers would only last until then. Not a
	// privilege: the directory is root's 0700, and root on a node runs what it likes anyway.
	cfg.StaticPodPath = compiler.ManifestsDir
	// kubeadm 1.35 (NodeLocalCRISocket, beta and on by default), 1.36 (GA) and 1.37 (gate
	// removed) all put the runtime endpoint in config.yaml, through instance-config.yaml, and
	// no longer pass --container-runtime-endpoint.
	cfg.ContainerRuntimeEndpoint = c.Runtime.CRISocket
	src.add("containerRuntime.criSocket")
	for _, t := range h.Taints {
		cfg.RegisterWithTaints = append(cfg.RegisterWithTaints, corev1.Taint{Key: t.Key, Value: t.Value, Effect: corev1.TaintEffect(t.Effect)})
	}
	// The taints are the host's own when it writes them, else its roles' defaults.
	src.add(hostField(h, "roles"))
	if len(h.Taints) > 0 {
		src.add(hostField(h, "taints"))
	}
	return cfg, src.list(), nil
}

// settingsConfig returns the KubeletConfiguration that a set of kubelet settings and the
// cluster's networks and runtime give, without anything that depends on the host's roles.
// Fields the description never set are left to the kubelet's defaults.
func settingsConfig(c *compiler.Cluster, k compiler.Kubelet) (*kubeletconfigv1beta1.KubeletConfiguration, sources, error) {
	src := sources{}
	src.add("networking.serviceSubnets", "networking.dnsDomain", "containerRuntime.cgroupDriver")
	cfg := &kubeletconfigv1beta1.KubeletConfiguration{
		ClusterDNS:    addrStrings(c.ClusterDNSIPs()),
		ClusterDomain: c.Network.DNSDomain,
		CgroupDriver:  c.Runtime.CgroupDriver,
		// kubeforge issues the serving certificate, signed by the cluster CA, so the apiserver
		// can verify the kubelet; serverTLSBootstrap stays off.
		TLSCertFile:        compiler.KubeletServingCert,
		TLSPrivateKeyFile:  compiler.KubeletServingKey,
		HealthzBindAddress: healthzBindAddress,
		HealthzPort:        ptr(int32(compiler.PortKubeletHealthz)),
	}
	set := src.originOf(k)
	if set("clientCAFile") {
		cfg.Authentication.X509.ClientCAFile = k.ClientCAFile
	}
	// Webhook cache TTLs stay unset, as kubeadm leaves them: the kubelet then uses 2m for
	// authentication and 5m/30s for authorized/unauthorized decisions.
	if set("webhookAuthentication") {
		cfg.Authentication.Webhook.Enabled = ptr(k.WebhookAuthentication)
	}
	if set("anonymousAuth") {
		cfg.Authentication.Anonymous.Enabled = ptr(k.AnonymousAuth)
	}
	if set("authorizationMode") {
		cfg.Authorization.Mode = kubeletconfigv1beta1.KubeletAuthorizationMode(k.AuthorizationMode)
	}
	if set("rotateCertificates") {
		cfg.RotateCertificates = k.RotateCertificates
	}
	if set("maxPods") {
		cfg.MaxPods = int32(k.MaxPods)
	}
	// The v1beta1 default of readOnlyPort is 0 (closed), so 0 is simply not written.
	if set("readOnlyPort") {
		cfg.ReadOnlyPort = int32(k.ReadOnlyPort)
	}
	if set("systemReserved") {
		cfg.SystemReserved = maps.Clone(k.SystemReserved)
	}
	if set("kubeReserved") {
		cfg.KubeReserved = maps.Clone(k.KubeReserved)
	}
	if set("evictionHard") {
		cfg.EvictionHard = maps.Clone(k.EvictionHard)
	}
	if set("enforceNodeAllocatable") {
		cfg.EnforceNodeAllocatable = slices.Clone(k.EnforceNodeAllocatable)
	}
	var err error
	if set("systemReservedCgroup") && k.SystemReservedCgroup != "" {
		if cfg.SystemReservedCgroup, err = reservedCgroupName(k.SystemReservedCgroup, c.Runtime.CgroupDriver); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", k.Origin["systemReservedCgroup"], err)
		}
	}
	if set("kubeReservedCgroup") && k.KubeReservedCgroup != "" {
		if cfg.KubeReservedCgroup, err = reservedCgroupName(k.KubeReservedCgroup, c.Runtime.CgroupDriver); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", k.Origin["kubeReservedCgroup"], err)
		}
	}
	if err := machineSettings(cfg, k, set); err != nil {
		return nil, nil, err
	}
	return cfg, src, nil
}

// machineSettings sets what concerns the machine more than the cluster: swap, DNS resolver,
// image garbage collection and feature gates. The standalone etcd kubelet needs them too.
func machineSettings(cfg *kubeletconfigv1beta1.KubeletConfiguration, k compiler.Kubelet, set func(string) bool) error {
	// An empty resolvConf is meaningful (no host resolver for pods), hence a pointer.
	if set("resolvConf") {
		cfg.ResolverConfig = ptr(k.ResolvConf)
	}
	if set("failSwapOn") {
		cfg.FailSwapOn = ptr(k.FailSwapOn)
	}
	if set("swapBehavior") {
		cfg.MemorySwap.SwapBehavior = k.SwapBehavior
	}
	if set("imageGC.highThresholdPercent") && k.ImageGCHighPercent != nil {
		cfg.ImageGCHighThresholdPercent = ptr(int32(*k.ImageGCHighPercent))
	}
	if set("imageGC.lowThresholdPercent") && k.ImageGCLowPercent != nil {
		cfg.ImageGCLowThresholdPercent = ptr(int32(*k.ImageGCLowPercent))
	}
	if set("imageGC.minimumAge") && k.ImageMinimumGCAge != "" {
		d, err := time.ParseDuration(k.ImageMinimumGCAge)
		if err != nil {
			return fmt.Errorf("%s: %w", k.Origin["imageGC.minimumAge"], err)
		}
		cfg.ImageMinimumGCAge = metav1.Duration{Duration: d}
	}
	if set("featureGates") {
		cfg.FeatureGates = maps.Clone(k.FeatureGates)
	}
	return nil
}

// etcdServiceManagerConfig returns the standalone KubeletConfiguration of a dedicated etcd host,
// after kubeadm's guide to an HA etcd cluster: no apiserver to authenticate against (webhooks
// off, AlwaysAllow), API on loopback only, and the static pods of the manifests dir.
func etcdServiceManagerConfig(c *compiler.Cluster, h *compiler.Host) (*kubeletconfigv1beta1.KubeletConfiguration, []string, error) {
	src := sources{}
	src.add("etcd.topology", hostField(h, "roles"), "containerRuntime.cgroupDriver", "containerRuntime.criSocket")
	cfg := &kubeletconfigv1beta1.KubeletConfiguration{
		Address:                  "127.0.0.1",
		CgroupDriver:             c.Runtime.CgroupDriver,
		ContainerRuntimeEndpoint: c.Runtime.CRISocket,
		StaticPodPath:            compiler.ManifestsDir,
		// The certificate kubeforge issues every host; the kubelet would otherwise write a
		// self-signed one at the same path.
		TLSCertFile:        compiler.KubeletServingCert,
		TLSPrivateKeyFile:  compiler.KubeletServingKey,
		HealthzBindAddress: healthzBindAddress,
		HealthzPort:        ptr(int32(compiler.PortKubeletHealthz)),
	}
	cfg.Authentication.Anonymous.Enabled = ptr(false)
	cfg.Authentication.Webhook.Enabled = ptr(false)
	cfg.Authorization.Mode = kubeletconfigv1beta1.KubeletAuthorizationModeAlwaysAllow
	k := h.Kubelet
	if err := machineSettings(cfg, k, src.originOf(k)); err != nil {
		return nil, nil, fmt.Errorf("host %s: %w", h.Name, err)
	}
	return cfg, src.list(), nil
}

func hostField(h *compiler.Host, field string) string {
	return h.Field(field)
}

func ptr[T any](v T) *T { return &v }
