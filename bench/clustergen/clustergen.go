// Package clustergen writes the cluster descriptions the benchmarks measure: 3 control-plane
// hosts and N workers, written the way operators write big clusters (groups, labels, some
// per-host kubelet overrides), so that the Go benchmarks and the whole-process script measure
// the same input.
package clustergen

import (
	"fmt"
	"strings"
)

// Spec sizes a generated cluster.
type Spec struct {
	ControlPlanes int
	Workers       int
	// KeyAlgorithm is the description's pki.keyAlgorithm; empty keeps the default (ECDSA-P256).
	KeyAlgorithm string
}

// Host is one generated host, as the kubeadm comparison needs it.
type Host struct {
	Name    string
	Address string
	// ControlPlane is true for control-plane hosts (stacked etcd), false for workers.
	ControlPlane bool
}

// Cluster-wide facts the kubeadm comparison configures identically.
const (
	Name                  = "bench"
	KubernetesVersion     = "v1.37.1"
	ControlPlaneEndpoint  = "api.bench.example.com:6443"
	PodSubnet             = "10.128.0.0/10"
	ServiceSubnet         = "10.96.0.0/16"
	DNSDomain             = "cluster.local"
	CRISocket             = "unix:///run/containerd/containerd.sock"
	defaultControlPlanes  = 3
	maxWorkersPerSubnet16 = 250 * 250
)

// Hosts returns the hosts of a spec in description order: control-plane hosts first.
func Hosts(s Spec) []Host {
	cps := countControlPlanes(s)
	out := make([]Host, 0, cps+s.Workers)
	for i := range cps {
		out = append(out, Host{Name: fmt.Sprintf("cp%d", i+1), Address: fmt.Sprintf("192.168.0.%d", 11+i), ControlPlane: true})
	}
	for i := range s.Workers {
		out = append(out, Host{Name: WorkerName(i), Address: workerAddress(i)})
	}
	return out
}

// WorkerName returns the name of the i-th worker (from 0).
func WorkerName(i int) string { return fmt.Sprintf("worker-%05d", i) }

// workerAddress spreads workers over 10.x.y.z, 250 per /24, never .0 or .255.
func workerAddress(i int) string {
	return fmt.Sprintf("10.%d.%d.%d", 1+i/maxWorkersPerSubnet16, i/250%250, i%250+1)
}

// YAML returns the description of a spec.
func YAML(s Spec) []byte {
	var b strings.Builder
	b.Grow(200 * (s.Workers + 10))
	fmt.Fprintf(&b, `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: %s
kubernetesVersion: %s
controlPlaneEndpoint: %s
apiServer:
  audit: {}
networking:
  podSubnets: [%s]
  serviceSubnets: [%s]
`, Name, KubernetesVersion, ControlPlaneEndpoint, PodSubnet, ServiceSubnet)
	if s.KeyAlgorithm != "" {
		fmt.Fprintf(&b, "pki:\n  keyAlgorithm: %s\n", s.KeyAlgorithm)
	}
	b.WriteString(`kubelet:
  systemReserved: {cpu: 500m, memory: 1Gi}
  kubeReserved: {cpu: 500m, memory: 1Gi}
  evictionHard: {memory.available: 500Mi, nodefs.available: 10%}
groups:
  big:
    labels: {node.example.com/size: big}
    kubelet: {maxPods: 250}
  gpu:
    labels: {node.example.com/gpu: "true"}
    taints: [{key: example.com/gpu, value: "true", effect: NoSchedule}]
hosts:
`)
	for i, h := range Hosts(s) {
		if h.ControlPlane {
			fmt.Fprintf(&b, "  - {name: %s, addresses: [%s], roles: [control-plane]}\n", h.Name, h.Address)
			continue
		}
		w := i - countControlPlanes(s)
		fmt.Fprintf(&b, "  - name: %s\n    addresses: [%s]\n    roles: [worker]\n", h.Name, h.Address)
		switch {
		case w%10 == 0:
			b.WriteString("    group: gpu\n")
		case w%3 == 0:
			b.WriteString("    group: big\n")
		}
		fmt.Fprintf(&b, "    labels: {topology.kubernetes.io/zone: zone-%c, node.example.com/rack: r%02d}\n", 'a'+w%3, w%40)
		if w%5 == 0 {
			b.WriteString("    kubelet: {maxPods: 200, imageGC: {highThresholdPercent: 90, lowThresholdPercent: 80}}\n")
		}
	}
	return []byte(b.String())
}

// countControlPlanes returns the number of control-plane hosts of a spec (3 unless set).
func countControlPlanes(s Spec) int {
	if s.ControlPlanes <= 0 {
		return defaultControlPlanes
	}
	return s.ControlPlanes
}
