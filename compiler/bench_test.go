package compiler

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var writeBench = flag.String("write-bench-cluster", "", "write the generated 5,000-host description to this file (for measuring the binary)")

// benchCluster returns a description of 3 control-plane hosts and workers hosts, written the
// way operators write big clusters: groups, labels, some per-host kubelet overrides.
func benchCluster(workers int) []byte {
	var b strings.Builder
	b.WriteString(`apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: bench
kubernetesVersion: "1.37"
controlPlaneEndpoint: api.bench.example.com:6443
apiServer:
  certSANs: [api.bench.example.com]
  extraArgs:
    audit-log-path: /var/log/kubernetes/audit/audit.log
networking:
  podSubnets: [10.128.0.0/10]
  serviceSubnets: [10.96.0.0/16]
kubelet:
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
  - {name: cp1, addresses: [192.168.0.11], roles: [control-plane]}
  - {name: cp2, addresses: [192.168.0.12], roles: [control-plane]}
  - {name: cp3, addresses: [192.168.0.13], roles: [control-plane]}
`)
	for i := range workers {
		fmt.Fprintf(&b, "  - name: worker-%05d.bench.example.com\n", i)
		fmt.Fprintf(&b, "    addresses: [10.%d.%d.%d]\n", 1+i/62500, i/250%250, i%250+1)
		b.WriteString("    roles: [worker]\n")
		switch {
		case i%10 == 0:
			b.WriteString("    group: gpu\n")
		case i%3 == 0:
			b.WriteString("    group: big\n")
		}
		fmt.Fprintf(&b, "    labels: {topology.kubernetes.io/zone: zone-%c, node.example.com/rack: r%02d}\n", 'a'+i%3, i%40)
		if i%5 == 0 {
			b.WriteString("    kubelet: {maxPods: 200, imageGC: {highThresholdPercent: 90, lowThresholdPercent: 80}}\n")
		}
	}
	return []byte(b.String())
}

// TestBenchClusterValid makes sure the benchmarks measure the path of a valid description,
// and writes the 5,000-host one when asked.
func TestBenchClusterValid(t *testing.T) {
	data := benchCluster(100)
	c, _, ds := LoadBytes("bench.yaml", data)
	if len(ds) > 0 || c == nil || len(c.Hosts) != 103 {
		t.Fatalf("generated description does not load cleanly: %v", ds)
	}
	if h := c.Hosts[3]; h.Group != "gpu" || len(h.Taints) != 1 || h.Kubelet.MaxPods != 200 {
		t.Errorf("host settings not applied: %+v", h)
	}
	if *writeBench != "" {
		if err := os.WriteFile(*writeBench, benchCluster(4997), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func benchmarkValidate(b *testing.B, workers int) {
	data := benchCluster(workers)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		c, _, ds := LoadBytes("bench.yaml", data)
		if ds.HasErrors() || len(c.Hosts) != workers+3 {
			b.Fatalf("invalid: %v", ds)
		}
	}
}

// The host counts are totals: 3 control-plane hosts and the rest workers.
func BenchmarkValidate100(b *testing.B)  { benchmarkValidate(b, 97) }
func BenchmarkValidate1000(b *testing.B) { benchmarkValidate(b, 997) }
func BenchmarkValidate5000(b *testing.B) { benchmarkValidate(b, 4997) }

// BenchmarkValidateLargeExample loads examples/large: 503 hosts written with a CUE
// comprehension.
func BenchmarkValidateLargeExample(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c, _, ds := Load("../examples/large")
		if ds.HasErrors() || len(c.Hosts) != 503 {
			b.Fatalf("invalid: %v", ds)
		}
	}
}
