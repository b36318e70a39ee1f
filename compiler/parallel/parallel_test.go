package parallel

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// Every index is visited exactly once, whatever the number of workers.
func TestEveryIndexOnce(t *testing.T) {
	for _, workers := range []int{-1, 0, 1, 2, 3, 32} {
		for _, n := range []int{0, 1, 2, 7, 1000} {
			counts := make([]atomic.Int32, n)
			ForWorkers(workers, n, func(i int) { counts[i].Add(1) })
			for i := range counts {
				if c := counts[i].Load(); c != 1 {
					t.Errorf("workers %d, n %d: index %d visited %d times", workers, n, i, c)
				}
			}
		}
	}
}

// With one worker (GOMAXPROCS 1 for For) the calls run in index order: render/pki relies on it
// for seeded, reproducible keys.
func TestOneWorkerRunsInOrder(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var got []int
	For(50, func(i int) { got = append(got, i) }) // no lock: one goroutine, the caller's
	want := make([]int, 50)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

// ForWorkers runs as many goroutines as asked (pkistore's 32 writers), and no more.
func TestWorkersBound(t *testing.T) {
	const workers, n = 3, 300
	var active, peak atomic.Int32
	started := make(chan struct{})
	var once sync.Once
	ForWorkers(workers, n, func(int) {
		a := active.Add(1)
		defer active.Add(-1)
		for p := peak.Load(); a > p && !peak.CompareAndSwap(p, a); p = peak.Load() {
		}
		if a == workers {
			once.Do(func() { close(started) })
		}
		<-started         // nothing finishes before every worker runs an item
		runtime.Gosched() // let any goroutine beyond the bound enter meanwhile
	})
	if p := peak.Load(); p != workers {
		t.Errorf("peak concurrency %d, want %d", p, workers)
	}
}

// ForErr returns the lowest failing index's error even when it fails last.
func TestForErrLowestIndex(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0))))
	const n = 20
	var done atomic.Int32
	othersDone := make(chan struct{})
	err := ForErr(n, func(i int) error {
		if i == 0 {
			<-othersDone // index 0 fails after every other index has failed
		} else if done.Add(1) == n-1 {
			close(othersDone)
		}
		return fmt.Errorf("item %d", i)
	})
	if err == nil || err.Error() != "item 0" {
		t.Errorf("err = %v, want item 0", err)
	}
	if ForErr(n, func(int) error { return nil }) != nil {
		t.Error("no failure, but an error")
	}
	calls := atomic.Int32{}
	errA := errors.New("a")
	if err := ForErr(n, func(i int) error {
		calls.Add(1)
		if i%5 == 3 {
			return errA
		}
		return nil
	}); err != errA || calls.Load() != n {
		t.Errorf("err %v after %d calls, want a after %d", err, calls.Load(), n)
	}
}
