package kubelet

import (
	"bytes"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler/compilertest"

	corev1 "k8s.io/api/core/v1"
	kubeletconfigv1beta1 "k8s.io/kubelet/config/v1beta1"

	"kubeforge.dev/kubeforge/compiler"
)

func has(h *compiler.Host, r compiler.Role) bool { return slices.Contains(h.Roles, r) }

func TestConfigEveryExample(t *testing.T) {
	// The cluster DNS service IP is the 10th address of each service network.
	wantDNS := map[string][]string{
		"ha":             {"10.96.0.10"},
		"single-node":    {"10.96.0.10"},
		"dedicated-etcd": {"10.33.0.10"},
		"dual-stack":     {"10.96.0.10", "fd00:96::a"},
		"large":          {"10.96.0.10"},
	}
	wantDomain := map[string]string{"dedicated-etcd": "edge.local"}
	wantSocket := map[string]string{"dedicated-etcd": "unix:///var/run/crio/crio.sock"}
	for _, name := range slices.Sorted(maps.Keys(examples)) {
		t.Run(name, func(t *testing.T) {
			c := loadExample(t, name)
			for _, h := range c.Hosts {
				a := lookup(t, render(t, c, h), compiler.KubeletConfigPath)
				if a.Mode != 0o600 {
					t.Errorf("%s: mode %o, want 0600 (CIS 4.1.9)", h.Name, a.Mode)
				}
				cfg := strictDecode(t, a.Data)
				checkNoNoise(t, h.Name, a.Data)
				checkSameAsConfig(t, c, h, cfg)

				// Every node, workers included, as kubeadm's config.yaml (README: staticPodPath).
				if cfg.StaticPodPath != compiler.ManifestsDir {
					t.Errorf("%s (roles %v): staticPodPath %q, want %s", h.Name, h.Roles, cfg.StaticPodPath, compiler.ManifestsDir)
				}
				if cfg.CgroupDriver != "systemd" {
					t.Errorf("%s: cgroupDriver %q", h.Name, cfg.CgroupDriver)
				}
				socket := cmpOr(wantSocket[name], "unix:///run/containerd/containerd.sock")
				if cfg.ContainerRuntimeEndpoint != socket {
					t.Errorf("%s: containerRuntimeEndpoint %q, want %q", h.Name, cfg.ContainerRuntimeEndpoint, socket)
				}
				if cfg.ServerTLSBootstrap {
					t.Errorf("%s: serverTLSBootstrap set; kubeforge issues the serving certificate", h.Name)
				}
				if *cfg.HealthzPort != 10248 || cfg.HealthzBindAddress != "127.0.0.1" {
					t.Errorf("%s: healthz on %s:%d", h.Name, cfg.HealthzBindAddress, *cfg.HealthzPort)
				}

				etcdOnly := has(h, compiler.RoleEtcd) && len(h.Roles) == 1
				if etcdOnly {
					checkEtcdServiceManager(t, h.Name, cfg)
					continue
				}
				if !slices.Equal(cfg.ClusterDNS, wantDNS[name]) {
					t.Errorf("%s: clusterDNS %v, want %v", h.Name, cfg.ClusterDNS, wantDNS[name])
				}
				if want := cmpOr(wantDomain[name], "cluster.local"); cfg.ClusterDomain != want {
					t.Errorf("%s: clusterDomain %q, want %q", h.Name, cfg.ClusterDomain, want)
				}
				auth := cfg.Authentication
				if !*auth.Webhook.Enabled || *auth.Anonymous.Enabled || auth.X509.ClientCAFile != "/etc/kubernetes/pki/ca.crt" ||
					cfg.Authorization.Mode != kubeletconfigv1beta1.KubeletAuthorizationModeWebhook {
					t.Errorf("%s: authentication %+v, authorization %+v", h.Name, auth, cfg.Authorization)
				}
				if !cfg.RotateCertificates || cfg.TLSCertFile != "/var/lib/kubelet/pki/kubelet.crt" || cfg.TLSPrivateKeyFile != "/var/lib/kubelet/pki/kubelet.key" {
					t.Errorf("%s: rotateCertificates %v, serving cert %q/%q", h.Name, cfg.RotateCertificates, cfg.TLSCertFile, cfg.TLSPrivateKeyFile)
				}
				if cfg.ReadOnlyPort != 0 || *cfg.ResolverConfig != "/etc/resolv.conf" || !*cfg.FailSwapOn ||
					!slices.Equal(cfg.EnforceNodeAllocatable, []string{"pods"}) {
					t.Errorf("%s: readOnlyPort %d resolvConf %q failSwapOn %v enforce %v", h.Name, cfg.ReadOnlyPort, *cfg.ResolverConfig, *cfg.FailSwapOn, cfg.EnforceNodeAllocatable)
				}
				var wantTaints []corev1.Taint
				for _, tn := range h.Taints {
					wantTaints = append(wantTaints, corev1.Taint{Key: tn.Key, Value: tn.Value, Effect: corev1.TaintEffect(tn.Effect)})
				}
				if !reflect.DeepEqual(cfg.RegisterWithTaints, wantTaints) {
					t.Errorf("%s: registerWithTaints %v, want %v", h.Name, cfg.RegisterWithTaints, wantTaints)
				}
				checkExampleSpecifics(t, name, h, cfg)
			}
		})
	}
}

// checkExampleSpecifics checks the per-host settings the examples write.
func checkExampleSpecifics(t *testing.T, example string, h *compiler.Host, cfg *kubeletconfigv1beta1.KubeletConfiguration) {
	t.Helper()
	wantMaxPods := int32(110)
	var sysRes, kubeRes, evict map[string]string
	switch {
	case example == "ha" && h.Name == "w3":
		wantMaxPods = 250
		sysRes = map[string]string{"cpu": "500m", "memory": "1Gi"}
		kubeRes = sysRes
		evict = map[string]string{"memory.available": "500Mi"}
	case example == "large":
		sysRes = map[string]string{"cpu": "250m", "memory": "512Mi"}
		kubeRes = sysRes
		if h.Group == "big" {
			wantMaxPods = 250
		}
	}
	if cfg.MaxPods != wantMaxPods {
		t.Errorf("%s: maxPods %d, want %d", h.Name, cfg.MaxPods, wantMaxPods)
	}
	for _, m := range []struct {
		field     string
		got, want map[string]string
	}{{"systemReserved", cfg.SystemReserved, sysRes}, {"kubeReserved", cfg.KubeReserved, kubeRes}, {"evictionHard", cfg.EvictionHard, evict}} {
		if !maps.Equal(m.got, m.want) {
			t.Errorf("%s: %s %v, want %v", h.Name, m.field, m.got, m.want)
		}
	}
}

func checkEtcdServiceManager(t *testing.T, name string, cfg *kubeletconfigv1beta1.KubeletConfiguration) {
	t.Helper()
	auth := cfg.Authentication
	if *auth.Webhook.Enabled || *auth.Anonymous.Enabled || cfg.Authorization.Mode != kubeletconfigv1beta1.KubeletAuthorizationModeAlwaysAllow {
		t.Errorf("%s: standalone kubelet needs webhook off and AlwaysAllow: %+v %+v", name, auth, cfg.Authorization)
	}
	if cfg.Address != "127.0.0.1" {
		t.Errorf("%s: address %q, want loopback", name, cfg.Address)
	}
	if len(cfg.ClusterDNS) > 0 || cfg.RotateCertificates || len(cfg.RegisterWithTaints) > 0 || cfg.StaticPodPath != compiler.ManifestsDir ||
		cfg.TLSCertFile != compiler.KubeletServingCert {
		t.Errorf("%s: standalone kubelet has cluster settings: %+v", name, cfg)
	}
}

// checkNoNoise fails on the empty values the typed marshal writes when nobody pruned them.
func checkNoNoise(t *testing.T, name string, data []byte) {
	t.Helper()
	for _, noise := range []string{": 0s\n", "{}", "null", `: ""`, "logging:", "crashLoopBackOff", "memorySwap: {"} {
		if bytes.Contains(data, []byte(noise)) {
			t.Errorf("%s: config.yaml contains %q:\n%s", name, noise, data)
		}
	}
}

// checkSameAsConfig checks that what was written decodes to exactly what Config returns, so
// pruning lost nothing that was set.
func checkSameAsConfig(t *testing.T, c *compiler.Cluster, h *compiler.Host, decoded *kubeletconfigv1beta1.KubeletConfiguration) {
	t.Helper()
	want, err := Config(c, h)
	if err != nil {
		t.Fatal(err)
	}
	want.APIVersion, want.Kind = "kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"
	if !reflect.DeepEqual(decoded, want) {
		t.Errorf("%s: config.yaml decodes to\n%+v\nConfig returns\n%+v", h.Name, decoded, want)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestConfigSetsEverySetting(t *testing.T) {
	c := compilertest.LoadYAML(t, `
apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
networking: {serviceSubnets: [10.200.0.0/16], dnsDomain: corp.local}
containerRuntime: {kind: cri-o, cgroupDriver: cgroupfs}
kubelet:
  resolvConf: ""
  failSwapOn: false
  swapBehavior: LimitedSwap
  imageGC: {highThresholdPercent: 90, lowThresholdPercent: 70, minimumAge: 5m}
  readOnlyPort: 10255
  featureGates: {KubeletTracing: true}
  evictionHard: {memory.available: 200Mi}
groups:
  g: {kubelet: {featureGates: {UserNamespacesSupport: true}}}
hosts:
  - name: n1
    addresses: [10.0.0.1]
    roles: [control-plane, worker]
    group: g
    kubelet: {anonymousAuth: true}
    taints: [{key: dedicated, value: infra, effect: NoExecute}, {key: example.com/gpu, effect: NoSchedule}]
`)
	h := c.Hosts[0]
	a := lookup(t, render(t, c, h), compiler.KubeletConfigPath)
	cfg := strictDecode(t, a.Data)
	checkSameAsConfig(t, c, h, cfg)
	if cfg.ResolverConfig == nil || *cfg.ResolverConfig != "" {
		t.Errorf("resolvConf \"\" lost: %v", cfg.ResolverConfig)
	}
	if cfg.FailSwapOn == nil || *cfg.FailSwapOn {
		t.Errorf("failSwapOn false lost: %v", cfg.FailSwapOn)
	}
	if cfg.MemorySwap.SwapBehavior != "LimitedSwap" {
		t.Errorf("swapBehavior %q", cfg.MemorySwap.SwapBehavior)
	}
	if *cfg.ImageGCHighThresholdPercent != 90 || *cfg.ImageGCLowThresholdPercent != 70 || cfg.ImageMinimumGCAge.Duration != 5*time.Minute {
		t.Errorf("image GC %d/%d/%v", *cfg.ImageGCHighThresholdPercent, *cfg.ImageGCLowThresholdPercent, cfg.ImageMinimumGCAge)
	}
	if cfg.ReadOnlyPort != 10255 || !*cfg.Authentication.Anonymous.Enabled {
		t.Errorf("readOnlyPort %d anonymous %v", cfg.ReadOnlyPort, *cfg.Authentication.Anonymous.Enabled)
	}
	if want := map[string]bool{"KubeletTracing": true, "UserNamespacesSupport": true}; !maps.Equal(cfg.FeatureGates, want) {
		t.Errorf("featureGates %v, want %v (group gates merge with the cluster's)", cfg.FeatureGates, want)
	}
	if cfg.CgroupDriver != "cgroupfs" || cfg.ContainerRuntimeEndpoint != "unix:///var/run/crio/crio.sock" {
		t.Errorf("runtime %q %q", cfg.CgroupDriver, cfg.ContainerRuntimeEndpoint)
	}
	wantTaints := []corev1.Taint{{Key: "dedicated", Value: "infra", Effect: corev1.TaintEffectNoExecute}, {Key: "example.com/gpu", Effect: corev1.TaintEffectNoSchedule}}
	if !reflect.DeepEqual(cfg.RegisterWithTaints, wantTaints) {
		t.Errorf("registerWithTaints %v, want %v", cfg.RegisterWithTaints, wantTaints)
	}
	if !slices.Equal(cfg.ClusterDNS, []string{"10.200.0.10"}) || cfg.ClusterDomain != "corp.local" {
		t.Errorf("DNS %v %q", cfg.ClusterDNS, cfg.ClusterDomain)
	}
	for _, want := range []string{"hosts[0].kubelet.anonymousAuth", "hosts[0].taints", "groups.g.kubelet.featureGates", "kubelet.imageGC.minimumAge", "networking.serviceSubnets", "containerRuntime.cgroupDriver"} {
		if !slices.Contains(a.Sources, want) {
			t.Errorf("sources %v lack %q", a.Sources, want)
		}
	}
}

func TestClusterConfigHasNoHostSpecifics(t *testing.T) {
	c := loadExample(t, "ha")
	cfg, err := ClusterConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	data, err := Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := strictDecode(t, data)
	checkNoNoise(t, "cluster", data)
	if got.MaxPods != 110 || got.SystemReserved != nil {
		t.Errorf("host w3's settings leaked into the cluster config: maxPods %d systemReserved %v", got.MaxPods, got.SystemReserved)
	}
	if got.ContainerRuntimeEndpoint != "" || len(got.RegisterWithTaints) > 0 {
		t.Errorf("node-local fields in the cluster config: %q %v", got.ContainerRuntimeEndpoint, got.RegisterWithTaints)
	}
	if got.StaticPodPath != compiler.ManifestsDir || !slices.Equal(got.ClusterDNS, []string{"10.96.0.10"}) || got.CgroupDriver != "systemd" {
		t.Errorf("cluster config lacks kubeadm's cluster-wide fields: %+v", got)
	}
}

func TestInstanceConfig(t *testing.T) {
	c := loadExample(t, "dedicated-etcd")
	b := render(t, c, compilertest.Host(t, c, "node1"))
	a := lookup(t, b, compiler.KubeletInstanceConfigPath)
	if string(a.Data) != "containerRuntimeEndpoint: unix:///var/run/crio/crio.sock\n" {
		t.Errorf("instance-config.yaml:\n%s", a.Data)
	}
	// A standalone etcd kubelet is never touched by kubeadm.
	if _, ok := render(t, c, compilertest.Host(t, c, "etcd1")).Lookup(compiler.KubeletInstanceConfigPath); ok {
		t.Error("etcd-only host has instance-config.yaml")
	}
}
