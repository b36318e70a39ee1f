package pki

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
)

// bigCluster returns a cluster of 3 control-plane hosts and n workers, built in Go rather
// than through the description loader, whose cost is not the PKI's.
func bigCluster(b *testing.B, n int) *compiler.Cluster {
	b.Helper()
	c := compilertest.LoadYAML(b, `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: big
controlPlaneEndpoint: api.big.example.com
hosts:
  - {name: cp1, addresses: [10.0.0.11], roles: [control-plane]}
  - {name: cp2, addresses: [10.0.0.12], roles: [control-plane]}
  - {name: cp3, addresses: [10.0.0.13], roles: [control-plane]}
  - {name: w, addresses: [10.1.0.1], roles: [worker]}
`)
	proto := c.Hosts[3]
	c.Hosts = c.Hosts[:3]
	for i := range n {
		h := *proto
		h.Index = 3 + i
		h.Name = fmt.Sprintf("worker-%d", i)
		h.NodeName = h.Name
		h.Addresses = []netip.Addr{netip.AddrFrom4([4]byte{10, 1, byte(i / 250), byte(i%250 + 1)})}
		c.Hosts = append(c.Hosts, &h)
	}
	return c
}

// reportCPU adds the CPU time per operation to a benchmark's results.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric((cpuTime()-start).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkIssue5000Workers: the whole PKI of 3 control-plane hosts and 5,000 workers with
// ECDSA-P256, from nothing: 10,049 keys and certificates and every host's files.
func BenchmarkIssue5000Workers(b *testing.B) {
	c := bigCluster(b, 5000)
	start := cpuTime()
	for b.Loop() {
		if _, err := Issue(c, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

// BenchmarkReuse5000Workers: a recompile over an existing store: read, verify and reuse
// everything.
func BenchmarkReuse5000Workers(b *testing.B) {
	c := bigCluster(b, 5000)
	st, _ := issuedStore(b, c)
	start := cpuTime()
	for b.Loop() {
		r, err := Issue(c, Options{Store: st})
		if err != nil {
			b.Fatal(err)
		}
		if r.Changed() {
			b.Fatal("reuse changed the store")
		}
	}
	reportCPU(b, start)
}

func benchmarkKey(b *testing.B, alg compiler.KeyAlgorithm) {
	for b.Loop() {
		if _, err := newKey(alg); err != nil {
			b.Fatal(err)
		}
	}
}

// The per-key cost, on one core.
func BenchmarkKeyRSA2048(b *testing.B)   { benchmarkKey(b, compiler.RSA2048) }
func BenchmarkKeyECDSAP256(b *testing.B) { benchmarkKey(b, compiler.ECDSAP256) }
func BenchmarkKeyECDSAP384(b *testing.B) { benchmarkKey(b, compiler.ECDSAP384) }
