// Package emittest provides hand-built bundles shaped like compiled ones, for the emitters'
// tests: a control-plane host and a worker, with a kubelet unit and drop-in, a 0700 manifest
// directory holding a 0600 manifest, secret keys and kubeconfigs, sysctl, modules-load and
// firewalld files, containerd's drop-in and a registry's hosts.toml.
package emittest

import (
	"path"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// Bundles returns a fresh control-plane bundle ("cp1") and worker bundle ("w1"), sorted.
func Bundles() []artifact.Bundle {
	cp := artifact.Bundle{Name: "cp1"}
	cp.Add(node("cp1", "10.0.0.11")...)
	cp.Add(
		artifact.Dir(compiler.PKIDir, 0o755),
		artifact.File(compiler.CAKeyPath, 0o600, []byte(fakeKey("ca")), "pki"),
		artifact.File(compiler.APIServerCertPath, 0o644, []byte(fakeCert("kube-apiserver")), "pki"),
		artifact.File(compiler.APIServerKeyPath, 0o600, []byte(fakeKey("kube-apiserver")), "pki"),
		artifact.File(compiler.AdminConfPath, 0o600, []byte(kubeconfig("kubernetes-admin", "cp1")), "pki"),
		artifact.File(compiler.ManifestsDir+"/kube-apiserver.yaml", 0o600, []byte(apiserverPod), "apiServer").
			Affecting(artifact.KubeletWatches),
		artifact.File(compiler.FirewalldDir+"/services/kubeforge-control-plane.xml", 0o644, []byte(controlPlaneService), "ports").
			Affecting(artifact.ReloadFirewalld),
	)
	markSecrets(&cp)
	cp.Sort()

	w := artifact.Bundle{Name: "w1"}
	w.Add(node("w1", "10.0.0.21")...)
	markSecrets(&w)
	w.Sort()
	return []artifact.Bundle{cp, w}
}

// node returns what every node receives, with the effects the renderers give such files.
func node(name, ip string) []artifact.Artifact {
	kubelet := path.Base(compiler.KubeletUnitPath)
	return []artifact.Artifact{
		artifact.Dir(compiler.KubernetesDir, 0o755),
		artifact.Dir(compiler.ManifestsDir, 0o700),
		artifact.File(compiler.CACertPath, 0o644, []byte(fakeCert("kubernetes")), "pki").Affecting(artifact.RestartKubelet),
		artifact.File(compiler.KubeletConfPath, 0o600, []byte(kubeconfig("system:node:"+name, name)), "hosts").
			Affecting(artifact.RestartKubelet),
		artifact.Dir(compiler.KubeletDir, 0o700),
		artifact.File(compiler.KubeletConfigPath, 0o644, []byte(kubeletConfig), "kubelet").Affecting(artifact.RestartKubelet),
		artifact.File(compiler.KubeletEnvPath, 0o644, []byte("KUBELET_KUBEADM_ARGS=\"--node-ip="+ip+"\"\n"), "hosts").
			Affecting(artifact.RestartKubelet),
		artifact.File(compiler.KubeletUnitPath, 0o644, []byte(kubeletUnit)).OfUnit(kubelet).Affecting(artifact.RestartKubelet),
		artifact.Dir(compiler.KubeletDropInDir, 0o755),
		artifact.File(compiler.KubeletDropInDir+"/10-kubeadm.conf", 0o644, []byte(kubeletDropIn)).
			OfUnit(kubelet).Affecting(artifact.RestartKubelet),
		artifact.File(compiler.SysctlPath, 0o644, []byte(sysctls), "sysctls").Affecting(artifact.ApplySysctls),
		artifact.File(compiler.ModulesLoadPath, 0o644, []byte(modules)).Affecting(artifact.LoadModules),
		artifact.File(compiler.FirewalldDir+"/zones/kubernetes.xml", 0o644, []byte(zone), "firewall.zone").
			Affecting(artifact.ReloadFirewalld),
		artifact.File(compiler.ContainerdDropInPath, 0o644, []byte(containerdDropIn), "containerRuntime.cgroupDriver").
			Restarting("containerd.service"),
		// Read at every pull: no effect.
		artifact.File(compiler.ContainerdCertsDir+"/docker.io/hosts.toml", 0o644, []byte(hostsTOML), "containerRuntime.registryMirrors"),
	}
}

// markSecrets flags the private keys and the kubeconfigs embedding them, as the renderers do.
func markSecrets(b *artifact.Bundle) {
	for i, a := range b.Artifacts {
		switch a.Path {
		case compiler.CAKeyPath, compiler.APIServerKeyPath, compiler.AdminConfPath, compiler.KubeletConfPath:
			b.Artifacts[i].Secret = true
		}
	}
}

func fakeCert(cn string) string {
	return "-----BEGIN CERTIFICATE-----\nMIIB" + cn + "/test/certificate/body/AAAA\n-----END CERTIFICATE-----\n"
}

func fakeKey(cn string) string {
	return "-----BEGIN EC PRIVATE KEY-----\nMHcC" + cn + "/secret/key/material/BBBB\n-----END EC PRIVATE KEY-----\n"
}

func kubeconfig(user, host string) string {
	return `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTi
    server: https://10.0.0.11:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: ` + user + `
  name: ` + user + `@kubernetes
current-context: ` + user + `@kubernetes
users:
- name: ` + user + `
  user:
    client-key-data: c2VjcmV0LWtleS1mb3ItI` + host + `
`
}

const kubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
cgroupDriver: systemd
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
staticPodPath: /etc/kubernetes/manifests
`

const kubeletUnit = `[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
`

const kubeletDropIn = `[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS
`

const sysctls = `# Generated by kubeforge.
net.bridge.bridge-nf-call-ip6tables = 1
net.bridge.bridge-nf-call-iptables = 1
net.ipv4.ip_forward = 1
`

const modules = `# Generated by kubeforge.
overlay
br_netfilter
`

const zone = `<?xml version="1.0" encoding="utf-8"?>
<zone>
  <short>kubernetes</short>
  <service name="ssh"/>
  <service name="kubeforge-control-plane"/>
</zone>
`

const controlPlaneService = `<?xml version="1.0" encoding="utf-8"?>
<service>
  <short>kubeforge control-plane</short>
  <port protocol="tcp" port="6443"/>
  <port protocol="tcp" port="2379-2380"/>
</service>
`

const apiserverPod = `apiVersion: v1
kind: Pod
metadata:
  labels:
    component: kube-apiserver
    tier: control-plane
  name: kube-apiserver
  namespace: kube-system
spec:
  containers:
  - command:
    - kube-apiserver
    - --advertise-address=10.0.0.11
    - --secure-port=6443
    image: registry.k8s.io/kube-apiserver:v1.37.1
    name: kube-apiserver
  hostNetwork: true
  priorityClassName: system-node-critical
`

const containerdDropIn = `version = 2

[plugins."io.containerd.grpc.v1.cri"]
sandbox_image = "registry.k8s.io/pause:3.10.1"

[plugins."io.containerd.grpc.v1.cri".registry]
config_path = "/etc/containerd/certs.d"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
SystemdCgroup = true
`

const hostsTOML = `server = "https://registry-1.docker.io"

[host."https://mirror.example.com"]
capabilities = ["pull", "resolve"]
`
