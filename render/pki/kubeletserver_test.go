package pki

import (
	"testing"

	"kubeforge.dev/kubeforge/compiler/compilertest"
)

// TestKubeletServer checks where each kubelet.conf points, as kubeadm writes it: a
// control-plane host's kubelet at its own apiserver (bracketed when that is an IPv6 address,
// on apiServer.bindPort), every other node at the load-balanced endpoint.
func TestKubeletServer(t *testing.T) {
	c := compilertest.LoadYAML(t, `
apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: v6
kubernetesVersion: v1.37.2
controlPlaneEndpoint: "[fd00:1::10]:443"
apiServer: {bindPort: 8443}
networking: {podSubnets: ["fd00:244::/56"], serviceSubnets: ["fd00:96::/112"]}
hosts:
  - {name: cp1, addresses: ["fd00:1::11"], roles: [control-plane]}
  - {name: cp2, addresses: ["fd00:1::12"], roles: [control-plane]}
  - {name: w1, addresses: ["fd00:1::21"], roles: [worker]}
`)
	for name, want := range map[string]string{
		"cp1": "https://[fd00:1::11]:8443",
		"cp2": "https://[fd00:1::12]:8443",
		"w1":  "https://[fd00:1::10]:443",
	} {
		if got := kubeletServer(c, compilertest.Host(t, c, name)); got != want {
			t.Errorf("%s: kubelet.conf server %s, want %s", name, got, want)
		}
	}
}
