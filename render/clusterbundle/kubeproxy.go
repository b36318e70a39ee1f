package clusterbundle

import (
	"strings"

	"kubeforge.dev/kubeforge/render/kubeconfig"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	proxyv1alpha1 "k8s.io/kube-proxy/config/v1alpha1"

	"kubeforge.dev/kubeforge/compiler"
)

// kube-proxy's names and files, as kubeadm deploys it.
const (
	kubeProxyName = "kube-proxy"
	// kubeProxyDir is where the DaemonSet mounts the kube-proxy ConfigMap.
	kubeProxyDir           = "/var/lib/kube-proxy"
	keyKubeProxyConfig     = "config.conf"
	keyKubeProxyKubeconfig = "kubeconfig.conf"
	// The service account credentials every pod gets mounted.
	serviceAccountCA    = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
	serviceAccountToken = "/var/run/secrets/kubernetes.io/serviceaccount/token"
)

// kubeProxyManifests returns the kube-proxy addon: its ServiceAccount and RBAC, its
// ConfigMap, and its DaemonSet at the cluster's version.
func kubeProxyManifests(c *compiler.Cluster) ([]manifest, error) {
	cm, err := kubeProxyConfigMap(c)
	if err != nil {
		return nil, err
	}
	sec := sectionAddons
	return []manifest{
		{section: sec, obj: serviceAccount(kubeProxyName), sources: []string{"addons.kubeProxy.enabled"}},
		{section: sec, obj: clusterRoleBinding("kubeadm:node-proxier", "system:node-proxier", serviceAccountSubject(nsSystem, kubeProxyName)),
			sources: []string{"addons.kubeProxy.enabled"}},
		// kubeadm join reads the ConfigMap with a bootstrap token; running pods read it through
		// their node's authorization.
		{section: sec, obj: configMapReader(nsSystem, kubeProxyName, kubeProxyName), sources: []string{"addons.kubeProxy.enabled"}},
		{section: sec, obj: roleBinding(nsSystem, kubeProxyName, group(groupBootstrapTokens)), sources: []string{"addons.kubeProxy.enabled"}},
		{section: sec, obj: cm, sources: []string{"addons.kubeProxy.mode", "networking.podSubnets", "controlPlaneEndpoint"}},
		{section: sec, obj: kubeProxyDaemonSet(c), sources: []string{"addons.kubeProxy.enabled", "kubernetesVersion", "imageRepository", "proxy"}},
	}, nil
}

// kubeProxyConfigMap returns the ConfigMap holding kube-proxy's configuration and the
// kubeconfig it reaches the apiservers with, as its service account.
func kubeProxyConfigMap(c *compiler.Cluster) (*corev1.ConfigMap, error) {
	cfg, err := encodeYAML(kubeProxyConfig(c))
	if err != nil {
		return nil, err
	}
	kc := kubeconfig.New()
	kc.Clusters = []kubeconfig.NamedCluster{{Name: "default", Cluster: kubeconfig.Cluster{Server: c.Endpoint.URL(), CertificateAuthority: serviceAccountCA}}}
	kc.Contexts = []kubeconfig.NamedContext{{Name: "default", Context: kubeconfig.Context{Cluster: "default", Namespace: "default", User: "default"}}}
	kc.CurrentContext = "default"
	kc.Users = []kubeconfig.NamedUser{{Name: "default", User: kubeconfig.User{TokenFile: serviceAccountToken}}}
	kcYAML, err := encodeYAML(kc)
	if err != nil {
		return nil, err
	}
	return configMap(nsSystem, kubeProxyName, map[string]string{"app": kubeProxyName}, map[string]string{
		keyKubeProxyConfig:     string(cfg),
		keyKubeProxyKubeconfig: string(kcYAML),
	}), nil
}

// kubeProxyConfig returns the KubeProxyConfiguration kubeadm writes: the description's mode,
// the pod networks as cluster CIDR, the mounted kubeconfig, and a wildcard bind address of
// the control plane's address family.
func kubeProxyConfig(c *compiler.Cluster) *proxyv1alpha1.KubeProxyConfiguration {
	cfg := &proxyv1alpha1.KubeProxyConfiguration{
		TypeMeta:    metav1.TypeMeta{APIVersion: proxyv1alpha1.SchemeGroupVersion.String(), Kind: "KubeProxyConfiguration"},
		BindAddress: "0.0.0.0",
		ClusterCIDR: compiler.JoinPrefixes(c.Network.PodSubnets),
		Mode:        proxyv1alpha1.ProxyMode(c.Addons.KubeProxyMode),
	}
	cfg.ClientConnection.Kubeconfig = kubeProxyDir + "/" + keyKubeProxyKubeconfig
	if cps := c.HostsWith(compiler.RoleControlPlane); len(cps) > 0 && cps[0].AdvertiseAddress().Is6() {
		cfg.BindAddress = "::"
	}
	return cfg
}

// kubeProxyDaemonSet returns kubeadm's kube-proxy DaemonSet: on every Linux node, tolerating
// every taint, on the host network, privileged.
func kubeProxyDaemonSet(c *compiler.Cluster) *appsv1.DaemonSet {
	labels := map[string]string{"k8s-app": kubeProxyName}
	hostPathFileOrCreate := corev1.HostPathFileOrCreate
	container := corev1.Container{
		Name:            kubeProxyName,
		Image:           c.ControlPlaneImage(kubeProxyName),
		ImagePullPolicy: corev1.PullIfNotPresent,
		Command: []string{
			"/usr/local/bin/kube-proxy",
			"--config=" + kubeProxyDir + "/" + keyKubeProxyConfig,
			"--hostname-override=$(NODE_NAME)",
		},
		Env: append([]corev1.EnvVar{{
			Name:      "NODE_NAME",
			ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.nodeName"}},
		}}, proxyEnv(c)...),
		SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)},
		VolumeMounts: []corev1.VolumeMount{
			{Name: kubeProxyName, MountPath: kubeProxyDir},
			{Name: "xtables-lock", MountPath: "/run/xtables.lock"},
			{Name: "lib-modules", MountPath: "/lib/modules", ReadOnly: true},
		},
	}
	return &appsv1.DaemonSet{
		TypeMeta:   appsType("DaemonSet"),
		ObjectMeta: metav1.ObjectMeta{Namespace: nsSystem, Name: kubeProxyName, Labels: labels},
		Spec: appsv1.DaemonSetSpec{
			Selector:       &metav1.LabelSelector{MatchLabels: labels},
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					PriorityClassName:  "system-node-critical",
					Containers:         []corev1.Container{container},
					HostNetwork:        true,
					ServiceAccountName: kubeProxyName,
					Volumes: []corev1.Volume{
						{Name: kubeProxyName, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: kubeProxyName}}}},
						{Name: "xtables-lock", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{
							Path: "/run/xtables.lock", Type: &hostPathFileOrCreate}}},
						{Name: "lib-modules", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/lib/modules"}}},
					},
					Tolerations:  []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					NodeSelector: map[string]string{corev1.LabelOSStable: "linux"},
				},
			},
		},
	}
}

// proxyEnv returns the cluster's proxy settings as environment, which kubeadm gives kube-proxy
// from the environment it runs in.
func proxyEnv(c *compiler.Cluster) []corev1.EnvVar {
	if c.Proxy == nil {
		return nil
	}
	var env []corev1.EnvVar
	if c.Proxy.HTTP != "" {
		env = append(env, corev1.EnvVar{Name: "HTTP_PROXY", Value: c.Proxy.HTTP})
	}
	if c.Proxy.HTTPS != "" {
		env = append(env, corev1.EnvVar{Name: "HTTPS_PROXY", Value: c.Proxy.HTTPS})
	}
	if len(c.Proxy.NoProxy) > 0 {
		env = append(env, corev1.EnvVar{Name: "NO_PROXY", Value: strings.Join(c.Proxy.NoProxy, ",")})
	}
	return env
}

func ptr[T any](v T) *T { return &v }
