package clusterbundle

import (
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"net/netip"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	proxyv1alpha1 "k8s.io/kube-proxy/config/v1alpha1"

	"kubeforge.dev/kubeforge/compiler"
)

// find returns the decoded objects of type T passing keep, in file order.
func find[T runtime.Object](d decoded, keep func(T) bool) []T {
	var out []T
	for _, p := range d.order {
		if o, ok := d.objects[p].(T); ok && (keep == nil || keep(o)) {
			out = append(out, o)
		}
	}
	return out
}

// one returns the only decoded object of type T passing keep, failing otherwise.
func one[T runtime.Object](t *testing.T, d decoded, keep func(T) bool) T {
	t.Helper()
	got := find(d, keep)
	if len(got) != 1 {
		var zero T
		t.Fatalf("found %d %T, want 1", len(got), zero)
	}
	return got[0]
}

func named[T interface{ GetName() string }](name string) func(T) bool {
	return func(o T) bool { return o.GetName() == name }
}

// tenthAddress returns the address ten past a network's own address, computed on the bytes.
func tenthAddress(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	carry := 10
	for i := len(b) - 1; i >= 0 && carry > 0; i-- {
		sum := int(b[i]) + carry
		b[i], carry = byte(sum%256), sum/256
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func TestCoreDNSServiceAtTenthServiceAddress(t *testing.T) {
	forEachCluster(t, func(t *testing.T, c *compiler.Cluster) {
		if !c.Addons.CoreDNS {
			t.Skip("CoreDNS disabled")
		}
		d := decodeBundle(t, render(t, c))
		svc := one(t, d, named[*corev1.Service]("kube-dns"))
		if svc.Namespace != "kube-system" {
			t.Errorf("kube-dns in namespace %q", svc.Namespace)
		}
		var want []string
		var families []corev1.IPFamily
		for _, p := range c.Network.ServiceSubnets {
			want = append(want, tenthAddress(p).String())
			fam := corev1.IPv4Protocol
			if p.Addr().Is6() {
				fam = corev1.IPv6Protocol
			}
			families = append(families, fam)
		}
		if svc.Spec.ClusterIP != want[0] {
			t.Errorf("clusterIP %s, want %s", svc.Spec.ClusterIP, want[0])
		}
		if len(want) > 1 {
			if !slices.Equal(svc.Spec.ClusterIPs, want) || !slices.Equal(svc.Spec.IPFamilies, families) {
				t.Errorf("clusterIPs %v families %v, want %v %v", svc.Spec.ClusterIPs, svc.Spec.IPFamilies, want, families)
			}
			if svc.Spec.IPFamilyPolicy == nil || *svc.Spec.IPFamilyPolicy != corev1.IPFamilyPolicyRequireDualStack {
				t.Errorf("ipFamilyPolicy %v, want RequireDualStack", svc.Spec.IPFamilyPolicy)
			}
		} else if len(svc.Spec.ClusterIPs) > 1 {
			t.Errorf("single-stack Service with clusterIPs %v", svc.Spec.ClusterIPs)
		}
		// The kubelets send pods to this address: the cluster-wide kubelet config must agree.
		kc := kubeletConfigOf(t, d)
		if len(kc.ClusterDNS) == 0 || kc.ClusterDNS[0] != want[0] || slices.ContainsFunc(kc.ClusterDNS, func(ip string) bool { return !slices.Contains(want, ip) }) {
			t.Errorf("kubelet clusterDNS %v, want %v first and nothing but the Service's addresses", kc.ClusterDNS, want)
		}
		var ports []string
		for _, p := range svc.Spec.Ports {
			ports = append(ports, p.TargetPort.String()+"/"+string(p.Protocol))
		}
		if !slices.Equal(ports, []string{"53/UDP", "53/TCP", "9153/TCP"}) {
			t.Errorf("ports %v", ports)
		}
		// The Service must select CoreDNS's pods.
		dep := one(t, d, named[*appsv1.Deployment]("coredns"))
		for k, v := range svc.Spec.Selector {
			if dep.Spec.Template.Labels[k] != v {
				t.Errorf("Service selector %s=%s does not select the CoreDNS pods %v", k, v, dep.Spec.Template.Labels)
			}
		}
	})
}

func TestCoreDNSServesClusterDomain(t *testing.T) {
	forEachCluster(t, func(t *testing.T, c *compiler.Cluster) {
		if !c.Addons.CoreDNS {
			t.Skip("CoreDNS disabled")
		}
		d := decodeBundle(t, render(t, c))
		cm := one(t, d, named[*corev1.ConfigMap]("coredns"))
		if want := "kubernetes " + c.Network.DNSDomain + " in-addr.arpa ip6.arpa {"; !strings.Contains(cm.Data["Corefile"], want) {
			t.Errorf("Corefile lacks %q:\n%s", want, cm.Data["Corefile"])
		}
		dep := one(t, d, named[*appsv1.Deployment]("coredns"))
		spec := dep.Spec.Template.Spec
		if *dep.Spec.Replicas != 2 || spec.Containers[0].Image != c.ImageRepository+"/coredns/coredns:"+c.Release.CoreDNSVersion {
			t.Errorf("replicas %d image %s", *dep.Spec.Replicas, spec.Containers[0].Image)
		}
		if spec.Affinity == nil || spec.Affinity.PodAntiAffinity == nil {
			t.Error("no pod anti-affinity: both replicas may land on one node")
		}
		if spec.ServiceAccountName != "coredns" || spec.Volumes[0].ConfigMap.Name != cm.Name {
			t.Errorf("service account %s, config volume %s", spec.ServiceAccountName, spec.Volumes[0].ConfigMap.Name)
		}
	})
}

func TestKubeProxyConfiguration(t *testing.T) {
	proxyDec := func(t *testing.T) func([]byte) *proxyv1alpha1.KubeProxyConfiguration {
		dec := strictDecoder(t, proxyv1alpha1.AddToScheme)
		return func(b []byte) *proxyv1alpha1.KubeProxyConfiguration {
			obj, _, err := dec.Decode(b, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			return obj.(*proxyv1alpha1.KubeProxyConfiguration)
		}
	}
	forEachCluster(t, func(t *testing.T, c *compiler.Cluster) {
		if !c.Addons.KubeProxy {
			t.Skip("kube-proxy disabled")
		}
		d := decodeBundle(t, render(t, c))
		cm := one(t, d, named[*corev1.ConfigMap]("kube-proxy"))
		cfg := proxyDec(t)([]byte(cm.Data["config.conf"]))
		var pods []string
		for _, p := range c.Network.PodSubnets {
			pods = append(pods, p.String())
		}
		if cfg.ClusterCIDR != strings.Join(pods, ",") {
			t.Errorf("clusterCIDR %q, want the pod subnets %v", cfg.ClusterCIDR, pods)
		}
		if string(cfg.Mode) != c.Addons.KubeProxyMode {
			t.Errorf("mode %q, want %q", cfg.Mode, c.Addons.KubeProxyMode)
		}
		kc, err := decodeKubeconfig([]byte(cm.Data["kubeconfig.conf"]))
		if err != nil {
			t.Fatal(err)
		}
		if kc.Clusters[0].Cluster.Server != c.Endpoint.URL() || kc.Users[0].User.TokenFile == "" {
			t.Errorf("kube-proxy kubeconfig: server %q token file %q", kc.Clusters[0].Cluster.Server, kc.Users[0].User.TokenFile)
		}

		ds := one(t, d, named[*appsv1.DaemonSet]("kube-proxy"))
		spec := ds.Spec.Template.Spec
		ctr := spec.Containers[0]
		if ctr.Image != c.ImageRepository+"/kube-proxy:"+c.Version.String() {
			t.Errorf("image %s", ctr.Image)
		}
		if !spec.HostNetwork || spec.PriorityClassName != "system-node-critical" || spec.NodeSelector["kubernetes.io/os"] != "linux" {
			t.Errorf("hostNetwork %v priority %q nodeSelector %v", spec.HostNetwork, spec.PriorityClassName, spec.NodeSelector)
		}
		if len(spec.Tolerations) != 1 || spec.Tolerations[0].Operator != corev1.TolerationOpExists || spec.Tolerations[0].Key != "" {
			t.Errorf("tolerations %v: kube-proxy must run on every node", spec.Tolerations)
		}
		// The file the command names must be the ConfigMap's key, where the volume mounts it.
		var mountDir string
		for _, m := range ctr.VolumeMounts {
			for _, v := range spec.Volumes {
				if v.Name == m.Name && v.ConfigMap != nil && v.ConfigMap.Name == cm.Name {
					mountDir = m.MountPath
				}
			}
		}
		if !slices.Contains(ctr.Command, "--config="+mountDir+"/config.conf") {
			t.Errorf("command %v does not read config.conf from the ConfigMap mount %q", ctr.Command, mountDir)
		}
		if cfg.ClientConnection.Kubeconfig != mountDir+"/kubeconfig.conf" {
			t.Errorf("clientConnection.kubeconfig %q, mount %q", cfg.ClientConnection.Kubeconfig, mountDir)
		}
		if spec.ServiceAccountName != "kube-proxy" {
			t.Errorf("service account %q", spec.ServiceAccountName)
		}
		crb := one(t, d, named[*rbacv1.ClusterRoleBinding]("kubeadm:node-proxier"))
		if crb.RoleRef.Name != "system:node-proxier" || crb.Subjects[0].Name != "kube-proxy" || crb.Subjects[0].Namespace != "kube-system" {
			t.Errorf("kubeadm:node-proxier %+v", crb)
		}
	})
}

func TestDisabledAddonsAreAbsent(t *testing.T) {
	c := compilertest.LoadYAML(t, noAddonsYAML)
	arts := render(t, c)
	d := decodeBundle(t, arts)
	for _, p := range d.order {
		o := d.objects[p]
		name := o.(interface{ GetName() string }).GetName()
		for _, s := range []string{"kube-proxy", "node-proxier", "coredns", "kube-dns"} {
			if strings.Contains(p, s) || strings.Contains(name, s) {
				t.Errorf("%s (%s) present with both addons disabled", p, name)
			}
		}
	}
	cm := one(t, d, named[*corev1.ConfigMap]("kubeadm-config"))
	cc, err := decodeClusterConfiguration([]byte(cm.Data["ClusterConfiguration"]))
	if err != nil {
		t.Fatal(err)
	}
	if !cc.DNS.Disabled || !cc.Proxy.Disabled {
		t.Errorf("kubeadm-config dns %+v proxy %+v: kubeadm upgrade would install the addons", cc.DNS, cc.Proxy)
	}
	// The same cluster with the addons on has them, so the absence above is the switch's.
	on := compilertest.LoadYAML(t, strings.Replace(strings.Replace(noAddonsYAML, "kubeProxy: {enabled: false}", "kubeProxy: {enabled: true}", 1),
		"coreDNS: {enabled: false}", "coreDNS: {enabled: true}", 1))
	d = decodeBundle(t, render(t, on))
	one(t, d, named[*appsv1.DaemonSet]("kube-proxy"))
	one(t, d, named[*appsv1.Deployment]("coredns"))
}
