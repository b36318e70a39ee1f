package pki

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parallel runs f(0), ..., f(n-1) on GOMAXPROCS goroutines, each taking the next index as it
// finishes one (RSA key generation times vary widely). With GOMAXPROCS 1 the calls run in
// index order, which keeps a deterministic random source deterministic in tests.
func parallel(n int, f func(i int)) { parallelWith(runtime.GOMAXPROCS(0), n, f) }

// parallelWith runs f(0), ..., f(n-1) on the given number of goroutines.
func parallelWith(workers, n int, f func(i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			f(i)
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
				f(i)
			}
		})
	}
	wg.Wait()
}
