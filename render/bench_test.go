package render_test

import (
	"fmt"
	"testing"

	"kubeforge.dev/kubeforge/bench/clustergen"
	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/emit"
	"kubeforge.dev/kubeforge/emit/pkistore"
	"kubeforge.dev/kubeforge/render"
	"kubeforge.dev/kubeforge/render/pki"
)

// benchSizes are the worker counts measured, each with 3 control-plane hosts (issue 3: 100,
// 1,000 and 5,000 workers).
var benchSizes = []int{100, 1000, 5000}

// loadBench loads a generated description of 3 control-plane hosts and workers workers, failing
// the benchmark if it does not load cleanly: a benchmark of the error path measures nothing.
func loadBench(tb testing.TB, data []byte, workers int) *compiler.Cluster {
	tb.Helper()
	c, _, ds := compiler.LoadBytes("bench.yaml", data)
	if ds.HasErrors() || c == nil {
		tb.Fatalf("generated description does not load: %v", ds)
	}
	if len(c.Hosts) != workers+3 {
		tb.Fatalf("loaded %d hosts, want %d", len(c.Hosts), workers+3)
	}
	return c
}

// TestBenchClusterCompiles makes sure the benchmarks measure the path of a valid cluster: the
// generated description loads with every host, its settings reach the model, and every host
// gets a bundle.
func TestBenchClusterCompiles(t *testing.T) {
	c := loadBench(t, clustergen.YAML(clustergen.Spec{Workers: 20}), 20)
	if h := c.Hosts[3]; h.Group != "gpu" || len(h.Taints) != 1 || h.Kubelet.MaxPods != 200 {
		t.Errorf("group and host settings not applied to %s: group %q, taints %v, maxPods %d", h.Name, h.Group, h.Taints, h.Kubelet.MaxPods)
	}
	res, err := render.Compile(c, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hosts) != 23 || res.Cluster == nil {
		t.Fatalf("compiled %d host bundles (cluster bundle %v), want 23 and a cluster bundle", len(res.Hosts), res.Cluster != nil)
	}
	for _, b := range res.Hosts {
		if len(b.Artifacts) == 0 {
			t.Errorf("host %s has an empty bundle", b.Name)
		}
	}
}

// BenchmarkCompile measures what `kubeforge compile --no-pki` does before writing: load,
// check and render every host and the cluster bundle.
func BenchmarkCompile(b *testing.B) {
	for _, n := range benchSizes {
		data := clustergen.YAML(clustergen.Spec{Workers: n})
		b.Run(fmt.Sprintf("hosts=3+%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				c := loadBench(b, data, n)
				if _, err := render.Compile(c, render.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRender measures rendering alone, the description loaded once: the share of
// BenchmarkCompile that is render/'s.
func BenchmarkRender(b *testing.B) {
	for _, n := range benchSizes {
		c := loadBench(b, clustergen.YAML(clustergen.Spec{Workers: n}), n)
		b.Run(fmt.Sprintf("hosts=3+%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := render.Compile(c, render.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompileEmit adds writing the directory output (staged, swapped in, the previous
// output removed, as every compile after the first does) to a temporary directory. Its time
// depends on the filesystem under TMPDIR as much as on kubeforge.
func BenchmarkCompileEmit(b *testing.B) {
	for _, n := range benchSizes {
		data := clustergen.YAML(clustergen.Spec{Workers: n})
		b.Run(fmt.Sprintf("hosts=3+%d", n), func(b *testing.B) {
			out := b.TempDir() + "/out"
			b.ReportAllocs()
			for b.Loop() {
				c := loadBench(b, data, n)
				res, err := render.Compile(c, render.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if err := emit.Write(out, emit.Output{Hosts: res.Hosts, Cluster: res.Cluster}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompilePKI measures compile with certificates, as `kubeforge compile` does before
// writing the output: "fresh" issues the whole PKI (ECDSA-P256) into an empty store and writes
// it; "existing" reads, verifies and reuses a complete store; "one-host" compiles one worker
// (--host) with a complete store. Stores are written under TMPDIR.
func BenchmarkCompilePKI(b *testing.B) {
	for _, n := range benchSizes {
		data := clustergen.YAML(clustergen.Spec{Workers: n})
		b.Run(fmt.Sprintf("hosts=3+%d", n), func(b *testing.B) {
			b.Run("fresh", func(b *testing.B) {
				root := b.TempDir()
				i := 0
				b.ReportAllocs()
				for b.Loop() {
					i++
					res := compileWithStore(b, data, n, fmt.Sprintf("%s/store-%d", root, i), true)
					if !res.PKI.Changed() {
						b.Fatal("a fresh store did not change")
					}
				}
			})
			// The complete store the other two start from, made once, when first needed, in
			// this level's directory (a sub-benchmark's is removed when it ends).
			size := b
			store := ""
			complete := func(b *testing.B) string {
				if store == "" {
					store = size.TempDir() + "/store"
					compileWithStore(b, data, n, store, true)
				}
				return store
			}
			b.Run("existing", func(b *testing.B) {
				dir := complete(b)
				b.ReportAllocs()
				for b.Loop() {
					if res := compileWithStore(b, data, n, dir, false); res.PKI.Changed() {
						b.Fatal("a complete store was changed")
					}
				}
			})
			b.Run("one-host", func(b *testing.B) {
				dir := complete(b)
				b.ReportAllocs()
				for b.Loop() {
					res := compileWithStore(b, data, n, dir, false, clustergen.WorkerName(n/2))
					if len(res.Hosts) != 1 || res.PKI.Changed() {
						b.Fatalf("compiled %d hosts (PKI changed: %v), want the one named, from the store", len(res.Hosts), res.PKI.Changed())
					}
				}
			})
		})
	}
}

// compileWithStore loads data and compiles it (or only the named hosts) with the PKI store at
// dir, reading it as a compile does and writing its next content when commit is set.
func compileWithStore(b *testing.B, data []byte, workers int, dir string, commit bool, hosts ...string) *render.Result {
	b.Helper()
	c := loadBench(b, data, workers)
	store, err := pkistore.Open(dir, pkistore.Write, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	res, err := render.Compile(c, render.Options{Hosts: hosts, PKI: &pki.Options{Store: store.Content()}})
	if err != nil {
		b.Fatal(err)
	}
	if commit {
		if err := store.Commit(res.PKI.Store()); err != nil {
			b.Fatal(err)
		}
	}
	return res
}
