package clustergen

import (
	"fmt"
	"strings"
)

// KubeadmConfig returns the kubeadm configuration (v1beta4) that makes kubeadm's offline
// phases produce h's files for the same cluster as YAML(s): the host's name and advertise
// address, the cluster's endpoint, networking and key algorithm. certDir is where kubeadm
// reads and writes certificates, as seen by kubeadm (inside --rootfs when it is used).
func KubeadmConfig(s Spec, h Host, certDir string) []byte {
	algo := s.KeyAlgorithm
	if algo == "" {
		algo = "ECDSA-P256"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: %s
  bindPort: 6443
nodeRegistration:
  name: %s
  criSocket: %s
  kubeletExtraArgs:
    - {name: node-ip, value: %s}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
clusterName: %s
kubernetesVersion: %s
controlPlaneEndpoint: %s
certificatesDir: %s
encryptionAlgorithm: %s
networking:
  podSubnet: %s
  serviceSubnet: %s
  dnsDomain: %s
apiServer:
  extraArgs:
    - {name: audit-log-path, value: /var/log/kubernetes/audit/audit.log}
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
maxPods: 110
`, h.Address, h.Name, CRISocket, h.Address, Name, KubernetesVersion, ControlPlaneEndpoint, certDir, algo,
		PodSubnet, ServiceSubnet, DNSDomain)
	return []byte(b.String())
}
