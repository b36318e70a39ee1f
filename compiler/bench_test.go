package compiler

import (
	"flag"
	"os"
	"testing"

	"kubeforge.dev/kubeforge/bench/clustergen"
)

var writeBench = flag.String("write-bench-cluster", "", "write the generated 5,000-host description to this file (for measuring the binary)")

// benchCluster returns a description of 3 control-plane hosts and workers hosts, written the
// way operators write big clusters (groups, labels, some per-host kubelet overrides): the same
// generator the whole-process benchmarks use.
func benchCluster(workers int) []byte {
	return clustergen.YAML(clustergen.Spec{ControlPlanes: 3, Workers: workers})
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
