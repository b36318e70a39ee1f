package clusterbundle

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"kubeforge.dev/kubeforge/compiler"
)

// CoreDNS's names, as kubeadm deploys it; the Service keeps the kube-dns name clients know.
const (
	coreDNSName    = "coredns"
	coreDNSService = "kube-dns"
	coreDNSApp     = "kube-dns"
	coreDNSRole    = "system:coredns"
	// coreDNSReplicas is kubeadm's replica count.
	coreDNSReplicas = 2
	keyCorefile     = "Corefile"
	coreDNSConfDir  = "/etc/coredns"
	portDNS         = 53
	portDNSMetrics  = 9153
	// CoreDNS's health and ready plugins' default ports.
	portDNSHealth = 8080
	portDNSReady  = 8181
)

// coreDNSManifests returns the CoreDNS addon: ServiceAccount, RBAC, the Corefile, the
// Deployment and the kube-dns Service at the cluster DNS address(es).
func coreDNSManifests(c *compiler.Cluster) []manifest {
	sec := sectionAddons
	enabled := []string{"addons.coreDNS.enabled"}
	return []manifest{
		{section: sec, obj: serviceAccount(coreDNSName), sources: enabled},
		{section: sec, obj: &rbacv1.ClusterRole{
			TypeMeta:   rbacType("ClusterRole"),
			ObjectMeta: metav1.ObjectMeta{Name: coreDNSRole},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"endpoints", "services", "pods", "namespaces"}, Verbs: []string{"list", "watch"}},
				{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"list", "watch"}},
			},
		}, sources: enabled},
		{section: sec, obj: clusterRoleBinding(coreDNSRole, coreDNSRole, serviceAccountSubject(nsSystem, coreDNSName)), sources: enabled},
		{section: sec, obj: configMap(nsSystem, coreDNSName, nil, map[string]string{keyCorefile: corefile(c.Network.DNSDomain)}),
			sources: []string{"networking.dnsDomain"}},
		{section: sec, obj: coreDNSDeployment(c), sources: []string{"addons.coreDNS.enabled", "kubernetesVersion", "imageRepository"}},
		{section: sec, obj: coreDNSServiceObject(c), sources: []string{"networking.serviceSubnets"}},
	}
}

// corefile returns kubeadm's Corefile for the cluster domain: cluster names answered from the
// API, the rest forwarded to the node's resolvers, no caching of the cluster's own names.
func corefile(domain string) string {
	var b strings.Builder
	line := func(indent int, s string) { fmt.Fprintf(&b, "%s%s\n", strings.Repeat("    ", indent), s) }
	line(0, fmt.Sprintf(".:%d {", portDNS))
	line(1, "errors")
	line(1, "health {")
	line(2, "lameduck 5s")
	line(1, "}")
	line(1, "ready")
	line(1, fmt.Sprintf("kubernetes %s in-addr.arpa ip6.arpa {", domain))
	line(2, "pods insecure")
	line(2, "fallthrough in-addr.arpa ip6.arpa")
	line(2, "ttl 30")
	line(1, "}")
	line(1, fmt.Sprintf("prometheus :%d", portDNSMetrics))
	line(1, "forward . /etc/resolv.conf {")
	line(2, "max_concurrent 1000")
	line(1, "}")
	line(1, "cache 30 {")
	line(2, "disable success "+domain)
	line(2, "disable denial "+domain)
	line(1, "}")
	line(1, "loop")
	line(1, "reload")
	line(1, "loadbalance")
	line(0, "}")
	return b.String()
}

// coreDNSDeployment returns kubeadm's CoreDNS Deployment: two replicas spread over nodes,
// allowed on control-plane nodes, unprivileged but for binding port 53.
func coreDNSDeployment(c *compiler.Cluster) *appsv1.Deployment {
	labels := map[string]string{"k8s-app": coreDNSApp}
	maxUnavailable := intstr.FromInt32(1)
	container := corev1.Container{
		Name:            coreDNSName,
		Image:           c.CoreDNSImage(),
		ImagePullPolicy: corev1.PullIfNotPresent,
		Args:            []string{"-conf", coreDNSConfDir + "/" + keyCorefile},
		Resources: corev1.ResourceRequirements{
			Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("170Mi")},
			Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("100m"),
				corev1.ResourceMemory: resource.MustParse("70Mi"),
			},
		},
		VolumeMounts: []corev1.VolumeMount{{Name: "config-volume", MountPath: coreDNSConfDir, ReadOnly: true}},
		Ports: []corev1.ContainerPort{
			{Name: "dns", ContainerPort: portDNS, Protocol: corev1.ProtocolUDP},
			{Name: "dns-tcp", ContainerPort: portDNS, Protocol: corev1.ProtocolTCP},
			{Name: "metrics", ContainerPort: portDNSMetrics, Protocol: corev1.ProtocolTCP},
			{Name: "liveness-probe", ContainerPort: portDNSHealth, Protocol: corev1.ProtocolTCP},
			{Name: "readiness-probe", ContainerPort: portDNSReady, Protocol: corev1.ProtocolTCP},
		},
		LivenessProbe: &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: "/health", Port: intstr.FromString("liveness-probe"), Scheme: corev1.URISchemeHTTP}},
			InitialDelaySeconds: 60,
			TimeoutSeconds:      5,
			SuccessThreshold:    1,
			FailureThreshold:    5,
		},
		ReadinessProbe: &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: "/ready", Port: intstr.FromString("readiness-probe"), Scheme: corev1.URISchemeHTTP}},
		},
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr(false),
			Capabilities: &corev1.Capabilities{
				Add:  []corev1.Capability{"NET_BIND_SERVICE"},
				Drop: []corev1.Capability{"ALL"},
			},
			ReadOnlyRootFilesystem: ptr(true),
		},
	}
	return &appsv1.Deployment{
		TypeMeta:   appsType("Deployment"),
		ObjectMeta: metav1.ObjectMeta{Namespace: nsSystem, Name: coreDNSName, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(coreDNSReplicas)),
			Strategy: appsv1.DeploymentStrategy{
				Type:          appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &maxUnavailable},
			},
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					PriorityClassName:  "system-cluster-critical",
					ServiceAccountName: coreDNSName,
					Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
						PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
							Weight: 100,
							PodAffinityTerm: corev1.PodAffinityTerm{
								LabelSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
									Key: "k8s-app", Operator: metav1.LabelSelectorOpIn, Values: []string{coreDNSApp}}}},
								TopologyKey: corev1.LabelHostname,
							},
						}},
					}},
					Tolerations: []corev1.Toleration{
						{Key: "CriticalAddonsOnly", Operator: corev1.TolerationOpExists},
						{Key: compiler.LabelControlPlane, Effect: corev1.TaintEffectNoSchedule},
					},
					NodeSelector: map[string]string{corev1.LabelOSStable: "linux"},
					Containers:   []corev1.Container{container},
					// The node's resolvers, not the cluster DNS CoreDNS itself serves.
					DNSPolicy: corev1.DNSDefault,
					Volumes: []corev1.Volume{{Name: "config-volume", VolumeSource: corev1.VolumeSource{
						ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: coreDNSName},
							Items:                []corev1.KeyToPath{{Key: keyCorefile, Path: keyCorefile}},
						}}}},
				},
			},
		},
	}
}

// coreDNSServiceObject returns the kube-dns Service at the 10th address of each service
// network, the address every kubelet's clusterDNS names; both families on a dual-stack
// cluster.
func coreDNSServiceObject(c *compiler.Cluster) *corev1.Service {
	ips := c.ClusterDNSIPs()
	labels := map[string]string{"k8s-app": coreDNSApp}
	svc := &corev1.Service{
		TypeMeta: coreType("Service"),
		ObjectMeta: metav1.ObjectMeta{
			Namespace: nsSystem,
			Name:      coreDNSService,
			Labels: map[string]string{
				"k8s-app":                       coreDNSApp,
				"kubernetes.io/cluster-service": "true",
				"kubernetes.io/name":            "CoreDNS",
			},
			Annotations: map[string]string{
				"prometheus.io/port":   fmt.Sprint(portDNSMetrics),
				"prometheus.io/scrape": "true",
			},
		},
		Spec: corev1.ServiceSpec{
			Selector: labels,
			Ports: []corev1.ServicePort{
				{Name: "dns", Port: portDNS, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(portDNS)},
				{Name: "dns-tcp", Port: portDNS, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(portDNS)},
				{Name: "metrics", Port: portDNSMetrics, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(portDNSMetrics)},
			},
		},
	}
	if len(ips) > 0 {
		svc.Spec.ClusterIP = ips[0].String()
	}
	if len(ips) > 1 {
		// Both addresses are fixed, so the Service must have both families or fail.
		policy := corev1.IPFamilyPolicyRequireDualStack
		svc.Spec.IPFamilyPolicy = &policy
		for _, ip := range ips {
			svc.Spec.ClusterIPs = append(svc.Spec.ClusterIPs, ip.String())
			fam := corev1.IPv4Protocol
			if ip.Is6() {
				fam = corev1.IPv6Protocol
			}
			svc.Spec.IPFamilies = append(svc.Spec.IPFamilies, fam)
		}
	}
	return svc
}
