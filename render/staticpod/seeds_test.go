package staticpod

import (
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler/compilertest"

	corev1 "k8s.io/api/core/v1"

	"kubeforge.dev/kubeforge/compiler"
)

// Descriptions for behaviours no example shows.
const (
	externalEtcdYAML = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: ext
networking: {podSubnets: [10.244.0.0/16]}
etcd:
  topology: external
  external:
    endpoints: [https://10.0.0.5:2379, https://10.0.0.6:2379]
    caFile: etcd/ca.crt
    certFile: etcd/apiserver.crt
    keyFile: etcd/apiserver.key
hosts:
  - {name: cp1, addresses: [192.168.1.10], roles: [control-plane]}
  - {name: w1, addresses: [192.168.1.20], roles: [worker]}
`
	// customYAML: no pod subnet, a custom apiserver port, a node name other than the host
	// name, and extra args that replace defaults or name host paths.
	customYAML = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: custom
apiServer:
  bindPort: 8443
  extraArgs:
    audit-log-path: /var/log/kubernetes/audit/audit.log
    audit-policy-file: /etc/kubernetes/audit/policy.yaml
    enable-admission-plugins: NodeRestriction,PodNodeSelector
    audit-log-maxage: "30"
controllerManager:
  extraArgs:
    bind-address: 0.0.0.0
    terminated-pod-gc-threshold: "100"
scheduler:
  extraArgs:
    config: /etc/kubernetes/scheduler/config.yaml
etcd:
  dataDir: /data/etcd
  extraArgs:
    snapshot-count: "5000"
    wal-dir: /wal/etcd
hosts:
  - {name: solo, nodeName: solo.example.com, addresses: [192.168.7.10, 10.0.0.7], roles: [control-plane, worker]}
`
	ipv6YAML = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: six
networking:
  podSubnets: ["fd00:244::/56"]
  serviceSubnets: ["fd00:96::/112"]
  nodeCIDRMaskSize: {ipv6: 72}
hosts:
  - {name: cp1, addresses: ["fd00:10::11"], roles: [control-plane]}
`
)

// TestNodeCIDRAllocation: a pod subnet makes the controller-manager allocate node CIDRs from
// every pod subnet, with a mask per family; without one it allocates nothing.
func TestNodeCIDRAllocation(t *testing.T) {
	t.Run("single-stack", func(t *testing.T) {
		c := compilertest.Load(t, "../../examples/single-node.yaml")
		cm := pod(t, c, compilertest.Host(t, c, "lab1"), "kube-controller-manager")
		wantFlag(t, cm, "allocate-node-cidrs", "true")
		wantFlag(t, cm, "cluster-cidr", "10.244.0.0/16")
		wantFlag(t, cm, "service-cluster-ip-range", "10.96.0.0/12")
		wantFlag(t, cm, "node-cidr-mask-size-ipv4", "24")
		noFlag(t, cm, "node-cidr-mask-size-ipv6")
		noFlag(t, cm, "node-cidr-mask-size")
	})
	t.Run("dual-stack", func(t *testing.T) {
		c := compilertest.Load(t, "../../examples/dual-stack.yaml")
		cp := compilertest.Host(t, c, "cp1")
		cm := pod(t, c, cp, "kube-controller-manager")
		wantFlag(t, cm, "allocate-node-cidrs", "true")
		wantFlag(t, cm, "cluster-cidr", "10.244.0.0/16,fd00:244::/56")
		wantFlag(t, cm, "service-cluster-ip-range", "10.96.0.0/16,fd00:96::/112")
		wantFlag(t, cm, "node-cidr-mask-size-ipv4", "24")
		wantFlag(t, cm, "node-cidr-mask-size-ipv6", "64")
		noFlag(t, cm, "node-cidr-mask-size")
		api := pod(t, c, cp, "kube-apiserver")
		wantFlag(t, api, "service-cluster-ip-range", "10.96.0.0/16,fd00:96::/112")
		wantFlag(t, api, "advertise-address", "10.10.0.11")
	})
	t.Run("ipv6-only", func(t *testing.T) {
		c := compilertest.LoadYAML(t, ipv6YAML)
		cm := pod(t, c, compilertest.Host(t, c, "cp1"), "kube-controller-manager")
		wantFlag(t, cm, "cluster-cidr", "fd00:244::/56")
		wantFlag(t, cm, "node-cidr-mask-size-ipv6", "72")
		noFlag(t, cm, "node-cidr-mask-size-ipv4")
	})
	t.Run("no pod subnet", func(t *testing.T) {
		c := compilertest.LoadYAML(t, customYAML)
		cm := pod(t, c, compilertest.Host(t, c, "solo"), "kube-controller-manager")
		for _, f := range []string{"allocate-node-cidrs", "cluster-cidr", "service-cluster-ip-range", "node-cidr-mask-size-ipv4", "node-cidr-mask-size-ipv6"} {
			noFlag(t, cm, f)
		}
	})
}

// TestExternalCAEmptiesSigningFlags: without the CA key (external CA mode), the
// controller-manager is told not to sign, as kubeadm does, instead of pointing at a key no
// host receives.
func TestExternalCAEmptiesSigningFlags(t *testing.T) {
	c := compilertest.Load(t, "../../examples/ha.yaml")
	cm := pod(t, c, compilertest.Host(t, c, "cp1"), "kube-controller-manager")
	wantFlag(t, cm, "cluster-signing-key-file", compiler.CAKeyPath)
	pods, err := Pods(c, compilertest.Host(t, c, "cp1"), Options{ExternalCA: true})
	if err != nil {
		t.Fatal(err)
	}
	cm = pods[len(pods)-2]
	if cm.Name != "kube-controller-manager" {
		t.Fatalf("pod %s", cm.Name)
	}
	wantFlag(t, cm, "cluster-signing-cert-file", "")
	wantFlag(t, cm, "cluster-signing-key-file", "")
}

// TestStackedMembers: each of three stacked members has its own name and URLs, and all
// list the same three members.
func TestStackedMembers(t *testing.T) {
	c := compilertest.Load(t, "../../examples/ha.yaml")
	const initial = "cp1=https://192.168.10.11:2380,cp2=https://192.168.10.12:2380,cp3=https://192.168.10.13:2380"
	for _, m := range []struct{ name, addr string }{{"cp1", "192.168.10.11"}, {"cp2", "192.168.10.12"}, {"cp3", "192.168.10.13"}} {
		h := compilertest.Host(t, c, m.name)
		etcd := pod(t, c, h, "etcd")
		wantFlag(t, etcd, "name", m.name)
		wantFlag(t, etcd, "advertise-client-urls", "https://"+m.addr+":2379")
		wantFlag(t, etcd, "listen-client-urls", "https://127.0.0.1:2379,https://"+m.addr+":2379")
		wantFlag(t, etcd, "listen-peer-urls", "https://"+m.addr+":2380")
		wantFlag(t, etcd, "initial-advertise-peer-urls", "https://"+m.addr+":2380")
		wantFlag(t, etcd, "initial-cluster", initial)
		wantFlag(t, etcd, "initial-cluster-state", "new")
		wantFlag(t, etcd, "listen-metrics-urls", "http://127.0.0.1:2381")
		wantFlag(t, etcd, "data-dir", "/var/lib/etcd")
		wantFlag(t, etcd, "cert-file", compiler.EtcdServerCert)
		wantFlag(t, etcd, "peer-key-file", compiler.EtcdPeerKey)
		wantFlag(t, etcd, "client-cert-auth", "true")
		wantFlag(t, etcd, "peer-client-cert-auth", "true")
		if got := etcd.Annotations[annotationEtcdClientURLs]; got != "https://"+m.addr+":2379" {
			t.Errorf("%s: advertise annotation %q", m.name, got)
		}
		// Nothing on this member may carry another member's address, except the list of all.
		for _, other := range []string{"192.168.10.11", "192.168.10.12", "192.168.10.13"} {
			if other == m.addr {
				continue
			}
			for _, arg := range etcd.Spec.Containers[0].Command {
				if strings.Contains(arg, other) && !strings.HasPrefix(arg, "--initial-cluster=") {
					t.Errorf("%s: %s names %s", m.name, arg, other)
				}
			}
		}
		if v, _ := volume(etcd, "/var/lib/etcd"); v == nil || *v.HostPath.Type != corev1.HostPathDirectoryOrCreate {
			t.Errorf("%s: no data dir volume", m.name)
		}
		if _, mnt := volume(etcd, compiler.EtcdPKIDir); mnt == nil {
			t.Errorf("%s: no etcd pki mount", m.name)
		}
		ctr := etcd.Spec.Containers[0]
		if ctr.Ports[0].ContainerPort != 2381 || ctr.LivenessProbe.HTTPGet.Host != "127.0.0.1" ||
			ctr.LivenessProbe.HTTPGet.Path != "/livez" || ctr.ReadinessProbe.HTTPGet.Path != "/readyz" ||
			ctr.LivenessProbe.HTTPGet.Scheme != corev1.URISchemeHTTP {
			t.Errorf("%s: probes not on the metrics port: %+v %+v", m.name, ctr.Ports, ctr.LivenessProbe.HTTPGet)
		}
		if ctr.Image != c.EtcdImage(h) || ctr.Resources.Requests.Cpu().String() != "100m" || ctr.Resources.Requests.Memory().String() != "100Mi" {
			t.Errorf("%s: image %s requests %v", m.name, ctr.Image, ctr.Resources.Requests)
		}
		api := pod(t, c, h, "kube-apiserver")
		wantFlag(t, api, "etcd-servers", "https://127.0.0.1:2379")
		wantFlag(t, api, "advertise-address", m.addr)
		if got := api.Annotations[annotationAPIServerAdvertise]; got != m.addr+":6443" {
			t.Errorf("%s: apiserver endpoint annotation %q", m.name, got)
		}
		if got := api.Spec.Containers[0].LivenessProbe.HTTPGet.Host; got != m.addr {
			t.Errorf("%s: apiserver probed on %s", m.name, got)
		}
	}
}

// TestDedicatedEtcd: etcd runs only on etcd hosts, and each apiserver reaches every member.
func TestDedicatedEtcd(t *testing.T) {
	c := compilertest.Load(t, "../../examples/dedicated-etcd.yaml")
	const servers = "https://192.168.20.31:2379,https://192.168.20.32:2379,https://192.168.20.33:2379"
	for _, h := range c.Hosts {
		pods := podsOf(t, c, h)
		_, hasEtcd := pods["etcd"]
		if hasEtcd != h.Has(compiler.RoleEtcd) {
			t.Errorf("%s: runs etcd %v, has etcd role %v", h.Name, hasEtcd, h.Has(compiler.RoleEtcd))
		}
		if h.Has(compiler.RoleEtcd) {
			if len(pods) != 1 {
				t.Errorf("%s: dedicated etcd host runs %d pods", h.Name, len(pods))
			}
			wantFlag(t, pods["etcd"], "name", h.NodeName)
			wantFlag(t, pods["etcd"], "initial-cluster",
				"etcd1=https://192.168.20.31:2380,etcd2=https://192.168.20.32:2380,etcd3=https://192.168.20.33:2380")
		}
		if api, ok := pods["kube-apiserver"]; ok {
			wantFlag(t, api, "etcd-servers", servers)
			wantFlag(t, api, "etcd-cafile", compiler.EtcdCACertPath)
			wantFlag(t, api, "etcd-certfile", compiler.APIServerEtcdClientCert)
			wantFlag(t, api, "etcd-keyfile", compiler.APIServerEtcdClientKey)
			wantFlag(t, api, "service-account-issuer", "https://kubernetes.default.svc.edge.local")
			wantFlag(t, api, "service-cluster-ip-range", "10.33.0.0/20")
		}
	}
}

// TestExternalEtcd: no etcd pod anywhere; the apiservers use the external endpoints with the
// client files at kubeadm's paths (where kubeforge copies the user's files).
func TestExternalEtcd(t *testing.T) {
	c := compilertest.LoadYAML(t, externalEtcdYAML)
	for _, h := range c.Hosts {
		if _, ok := podsOf(t, c, h)["etcd"]; ok {
			t.Errorf("%s runs etcd with an external etcd", h.Name)
		}
	}
	cp := compilertest.Host(t, c, "cp1")
	api := pod(t, c, cp, "kube-apiserver")
	wantFlag(t, api, "etcd-servers", "https://10.0.0.5:2379,https://10.0.0.6:2379")
	wantFlag(t, api, "etcd-cafile", compiler.EtcdCACertPath)
	wantFlag(t, api, "etcd-certfile", compiler.APIServerEtcdClientCert)
	wantFlag(t, api, "etcd-keyfile", compiler.APIServerEtcdClientKey)
	arts := manifests(t, c, cp)
	var found bool
	for _, a := range arts {
		if strings.HasSuffix(a.Path, "/kube-apiserver.yaml") {
			found = strings.Contains(strings.Join(a.Sources, " "), "etcd.external.endpoints")
		}
	}
	if !found {
		t.Error("kube-apiserver.yaml does not name etcd.external.endpoints as a source")
	}
	if arts := manifests(t, c, compilertest.Host(t, c, "w1")); len(arts) != 0 {
		t.Errorf("worker got %d artifacts", len(arts))
	}
}

// TestCustomBindPort: apiServer.bindPort moves the flag, the probes and the annotation.
func TestCustomBindPort(t *testing.T) {
	c := compilertest.LoadYAML(t, customYAML)
	api := pod(t, c, compilertest.Host(t, c, "solo"), "kube-apiserver")
	wantFlag(t, api, "secure-port", "8443")
	ctr := api.Spec.Containers[0]
	if ctr.Ports[0].ContainerPort != 8443 {
		t.Errorf("probe port %d, want 8443", ctr.Ports[0].ContainerPort)
	}
	for _, p := range []*corev1.Probe{ctr.LivenessProbe, ctr.ReadinessProbe, ctr.StartupProbe} {
		if p == nil || p.HTTPGet.Port.StrVal != ctr.Ports[0].Name || p.HTTPGet.Scheme != corev1.URISchemeHTTPS || p.HTTPGet.Host != "192.168.7.10" {
			t.Errorf("probe %+v not on 192.168.7.10:8443 over HTTPS", p)
		}
	}
	if got := api.Annotations[annotationAPIServerAdvertise]; got != "192.168.7.10:8443" {
		t.Errorf("annotation %q", got)
	}
}

// TestExtraArgs: extra args replace same-named defaults, are added otherwise, and the host
// paths they name are mounted.
func TestExtraArgs(t *testing.T) {
	c := compilertest.LoadYAML(t, customYAML)
	h := compilertest.Host(t, c, "solo")
	pods := podsOf(t, c, h)
	api, cm, sched, etcd := pods["kube-apiserver"], pods["kube-controller-manager"], pods["kube-scheduler"], pods["etcd"]

	wantFlag(t, api, "enable-admission-plugins", "NodeRestriction,PodNodeSelector")
	wantFlag(t, api, "audit-log-maxage", "30")
	wantFlag(t, api, "authorization-mode", "Node,RBAC")
	wantFlag(t, cm, "bind-address", "0.0.0.0")
	wantFlag(t, cm, "terminated-pod-gc-threshold", "100")
	wantFlag(t, sched, "config", "/etc/kubernetes/scheduler/config.yaml")
	wantFlag(t, etcd, "snapshot-count", "5000")
	wantFlag(t, etcd, "name", "solo.example.com")
	wantFlag(t, etcd, "data-dir", "/data/etcd")

	// kubeadm's order: defaults by name, then the extra args by name.
	cmd := api.Spec.Containers[0].Command
	tail := cmd[len(cmd)-4:]
	want := []string{"--audit-log-maxage=30", "--audit-log-path=/var/log/kubernetes/audit/audit.log",
		"--audit-policy-file=/etc/kubernetes/audit/policy.yaml", "--enable-admission-plugins=NodeRestriction,PodNodeSelector"}
	if strings.Join(tail, " ") != strings.Join(want, " ") {
		t.Errorf("apiserver command ends with %q, want %q", tail, want)
	}
	if !sortedByName(cmd[1 : len(cmd)-4]) {
		t.Errorf("default flags not sorted: %q", cmd)
	}

	// A wildcard bind address cannot be dialled: the kubelet probes the pod IP.
	if got := cm.Spec.Containers[0].LivenessProbe.HTTPGet.Host; got != "" {
		t.Errorf("controller-manager bound to 0.0.0.0 probed on %q", got)
	}

	for _, w := range []struct {
		pod      *corev1.Pod
		path     string
		kind     corev1.HostPathType
		readOnly bool
	}{
		{api, "/var/log/kubernetes/audit", corev1.HostPathDirectoryOrCreate, false},
		{api, "/etc/kubernetes/audit/policy.yaml", corev1.HostPathFile, true},
		{sched, "/etc/kubernetes/scheduler/config.yaml", corev1.HostPathFile, true},
		{etcd, "/wal/etcd", corev1.HostPathDirectoryOrCreate, false},
		{etcd, "/data/etcd", corev1.HostPathDirectoryOrCreate, false},
	} {
		v, m := volume(w.pod, w.path)
		if v == nil || m == nil {
			t.Errorf("%s: no volume for %s", w.pod.Name, w.path)
			continue
		}
		if *v.HostPath.Type != w.kind || m.ReadOnly != w.readOnly || m.MountPath != w.path {
			t.Errorf("%s: volume for %s is %s readOnly=%v at %s, want %s readOnly=%v", w.pod.Name, w.path, *v.HostPath.Type, m.ReadOnly, m.MountPath, w.kind, w.readOnly)
		}
	}
	// Paths already visible through kubeforge's mounts get no second volume.
	if v, _ := volume(api, "/etc/kubernetes/pki/apiserver.crt"); v != nil {
		t.Error("a file under the mounted pki directory got its own volume")
	}
}

// TestIPv6Loopback: an IPv6 host's etcd and apiserver use ::1 where IPv4 hosts use 127.0.0.1.
func TestIPv6Loopback(t *testing.T) {
	c := compilertest.LoadYAML(t, ipv6YAML)
	h := compilertest.Host(t, c, "cp1")
	etcd := pod(t, c, h, "etcd")
	wantFlag(t, etcd, "listen-client-urls", "https://[::1]:2379,https://[fd00:10::11]:2379")
	wantFlag(t, etcd, "listen-metrics-urls", "http://[::1]:2381")
	wantFlag(t, etcd, "initial-cluster", "cp1=https://[fd00:10::11]:2380")
	if got := etcd.Spec.Containers[0].LivenessProbe.HTTPGet.Host; got != "::1" {
		t.Errorf("etcd probed on %q, want ::1", got)
	}
	api := pod(t, c, h, "kube-apiserver")
	wantFlag(t, api, "etcd-servers", "https://[::1]:2379")
	if got := api.Annotations[annotationAPIServerAdvertise]; got != "[fd00:10::11]:6443" {
		t.Errorf("annotation %q", got)
	}
}

// TestEtcdMetricsOverride: probes follow a user's listen-metrics-urls, as kubeadm's do.
func TestEtcdMetricsOverride(t *testing.T) {
	c := compilertest.Load(t, "../../examples/single-node.yaml")
	c.Etcd.ExtraArgs = compiler.Args{"listen-metrics-urls": "https://127.0.0.1:2391,http://192.168.50.10:2381"}
	ctr := pod(t, c, compilertest.Host(t, c, "lab1"), "etcd").Spec.Containers[0]
	if ctr.Ports[0].ContainerPort != 2391 || ctr.LivenessProbe.HTTPGet.Scheme != corev1.URISchemeHTTPS {
		t.Errorf("probe on %d over %s, want 2391 over HTTPS", ctr.Ports[0].ContainerPort, ctr.LivenessProbe.HTTPGet.Scheme)
	}
	c.Etcd.ExtraArgs = compiler.Args{"listen-metrics-urls": "not a url"}
	if _, err := Manifests(c, compilertest.Host(t, c, "lab1"), Options{}); err == nil {
		t.Error("an unusable listen-metrics-urls rendered without error")
	}
}

// TestAuthorizationConfig: a structured authorization config replaces --authorization-mode,
// which the apiserver refuses next to it.
func TestAuthorizationConfig(t *testing.T) {
	c := compilertest.Load(t, "../../examples/single-node.yaml")
	c.APIServer.ExtraArgs = compiler.Args{"authorization-config": "/etc/kubernetes/authz.yaml"}
	api := pod(t, c, compilertest.Host(t, c, "lab1"), "kube-apiserver")
	noFlag(t, api, "authorization-mode")
	if v, m := volume(api, "/etc/kubernetes/authz.yaml"); v == nil || m == nil || !m.ReadOnly {
		t.Error("authorization config file not mounted read-only")
	}
}

func sortedByName(args []string) bool {
	for i := 1; i < len(args); i++ {
		a, _, _ := strings.Cut(args[i-1], "=")
		b, _, _ := strings.Cut(args[i], "=")
		if a >= b {
			return false
		}
	}
	return true
}

func TestVolumeName(t *testing.T) {
	for in, want := range map[string]string{
		"/var/log/kubernetes/audit":  "var-log-kubernetes-audit",
		"/etc/kubernetes/a_b.c.yaml": "etc-kubernetes-a-b-c-yaml",
		"/Data//X/":                  "data-x",
	} {
		if got := volumeName(in); got != want {
			t.Errorf("volumeName(%q) = %q, want %q", in, got, want)
		}
	}
	long := "/" + strings.Repeat("abcdefghij/", 10)
	if got := volumeName(long); len(got) > 63 || got == volumeName(long+"x") {
		t.Errorf("long paths: %q (%d) and %q", got, len(got), volumeName(long+"x"))
	}
	ms := &mounts{}
	ms.add("same", "/a", corev1.HostPathFile, true)
	ms.add("same", "/b", corev1.HostPathFile, true)
	if vols := ms.volumes(); vols[0].Name == vols[1].Name {
		t.Errorf("two paths share volume name %q", vols[0].Name)
	}
}
