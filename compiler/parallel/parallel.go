// Package parallel runs the iterations of a loop on several goroutines, for every step of a
// compile alike: decoding hosts, rendering their bundles, issuing certificates, writing and
// removing files. It sits under compiler, the lowest layer, so render and emit (which import
// compiler already) use it without an import against the direction data flows.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// For calls fn(i) for every i in [0, n) on GOMAXPROCS goroutines, each taking the next index
// as it finishes one (work items vary widely: an RSA key takes 100 times an ECDSA one). fn
// must be safe to call concurrently; it usually writes its result at index i.
//
// With GOMAXPROCS 1 the calls run in index order on the calling goroutine, which keeps a
// seeded random source deterministic in tests.
func For(n int, fn func(i int)) { ForWorkers(runtime.GOMAXPROCS(0), n, fn) }

// ForWorkers is For on at most workers goroutines, whatever the number of cores: more for work
// that mostly waits (files written and synced to disk), fewer for items too small to share.
// With one worker or less the calls run in index order on the calling goroutine.
func ForWorkers(workers, n int, fn func(i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}

// ForErr calls fn(i) for every i in [0, n) as For does, all of them even when some fail, and
// returns the error of the lowest i that failed: which error is reported does not depend on
// scheduling.
func ForErr(n int, fn func(i int) error) error {
	errs := make([]error, n)
	For(n, func(i int) { errs[i] = fn(i) })
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
