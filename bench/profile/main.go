// Command profile runs what `kubeforge compile` runs (load, check, render with the PKI store,
// store commit, directory output) in one process under the CPU profiler, and prints how long
// each step took, so the benchmark report can say where a compile's time goes.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/emit"
	"kubeforge.dev/kubeforge/emit/pkistore"
	"kubeforge.dev/kubeforge/render"
	"kubeforge.dev/kubeforge/render/pki"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		os.Exit(1)
	}
}

// run compiles the description named by the arguments and returns the first error.
func run() error {
	out := flag.String("o", "", "output directory (required)")
	noPKI := flag.Bool("no-pki", false, "compile without certificates")
	host := flag.String("host", "", "compile only this host")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile here")
	flag.Parse()
	if *out == "" || flag.NArg() != 1 {
		return fmt.Errorf("usage: profile -o OUT [-no-pki] [-host NAME] [-cpuprofile FILE] DESCRIPTION")
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var steps []string
	start := time.Now()
	mark := func(name string) {
		steps = append(steps, fmt.Sprintf("%-22s %6.3f s", name, time.Since(start).Seconds()))
		start = time.Now()
	}

	c, _, ds := compiler.Load(flag.Arg(0))
	if ds.HasErrors() {
		return fmt.Errorf("invalid description: %v", ds)
	}
	mark("load and check")
	opts := render.Options{}
	if *host != "" {
		opts.Hosts = []string{*host}
	}
	var store *pkistore.Handle
	if !*noPKI {
		var err error
		if store, err = pkistore.Open(emit.StoreDirFor(*out), pkistore.Write, nil); err != nil {
			return err
		}
		defer store.Close()
		opts.PKI = &pki.Options{Store: store.Content()}
		mark("PKI store read")
	}
	res, err := render.Compile(c, opts)
	if err != nil {
		return err
	}
	mark("render (with PKI)")
	output := emit.Output{Hosts: res.Hosts, Cluster: res.Cluster, Partial: *host != ""}
	if store != nil {
		output.Store = store.Update(res.PKI.Store())
	}
	if err := emit.Write(*out, output); err != nil {
		return err
	}
	mark("write output and store")
	for _, s := range steps {
		fmt.Println(s)
	}
	return nil
}
