package emit

import (
	"runtime"
	"sync"
)

// forEach runs fn for i in [0, n) on all cores and returns the error of the lowest i that
// failed, so that which error is reported does not depend on scheduling. Writing and removing
// thousands of small files costs mostly system-call time, which two cores halve.
func forEach(n int, fn func(i int) error) error {
	errs := make([]error, n)
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				errs[i] = fn(i)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
