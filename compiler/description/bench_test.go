package description

import (
	"fmt"
	"strings"
	"testing"
)

// The benchmarks load and decode descriptions with one large mapping or list. CUE evaluates a
// struct or list of n entries in n² steps; the shape limits (shape.go) refuse one beyond them
// before CUE sees it, so every size costs time linear in the size of the file.

const yamlHead = "apiVersion: kubeforge.dev/v1alpha1\nkind: Cluster\nname: t\nhosts:\n  - {name: cp1, addresses: [192.168.0.11], roles: [control-plane]}\n"

// sysctlsYAML returns a description with n sysctls.
func sysctlsYAML(n int) string {
	var b strings.Builder
	b.WriteString(yamlHead + "sysctls:\n")
	for i := range n {
		fmt.Fprintf(&b, "  net.ipv4.k%d: %d\n", i, i)
	}
	return b.String()
}

// sansYAML returns a description with n certificate SANs.
func sansYAML(n int) string {
	var b strings.Builder
	b.WriteString(yamlHead + "apiServer:\n  certSANs:\n")
	for i := range n {
		fmt.Fprintf(&b, "    - h%d.example.com\n", i)
	}
	return b.String()
}

// hostsYAML returns a description with n hosts.
func hostsYAML(n int) string {
	var b strings.Builder
	b.WriteString("apiVersion: kubeforge.dev/v1alpha1\nkind: Cluster\nname: t\nhosts:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {name: h%d, addresses: [10.%d.%d.%d], roles: [%s]}\n", i, i>>16, i>>8&255, i&255, map[bool]string{true: "control-plane", false: "worker"}[i == 0])
	}
	return b.String()
}

func benchmarkLoad(b *testing.B, text string) {
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		src, ds := LoadBytes("bench.yaml", []byte(text))
		if !ds.HasErrors() {
			Decode(src)
		}
	}
}

func BenchmarkLoadSysctls(b *testing.B) {
	for _, n := range []int{1000, 10_000, 100_000, 400_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchmarkLoad(b, sysctlsYAML(n)) })
	}
}

func BenchmarkLoadSANs(b *testing.B) {
	for _, n := range []int{1000, 10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchmarkLoad(b, sansYAML(n)) })
	}
}

func BenchmarkLoadHosts(b *testing.B) {
	for _, n := range []int{1000, 5000, 10_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchmarkLoad(b, hostsYAML(n)) })
	}
}
