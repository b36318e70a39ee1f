package atomicdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// Lock is an advisory lock (flock) that serialises the kubeforge processes replacing the same
// directory. It is taken on the directory that holds it (its nearest existing ancestor), not on
// a lock file: a lock file would be left beside every output, also by a compile that fails, and
// could not be created on a read-only file system. The price is that compiles into two outputs
// of one parent directory wait for each other.
//
// Within one process the locks are counted: a compile holds the store's lock and then takes the
// output's, usually the same directory, and flock would deadlock against itself.
type Lock struct {
	key string
}

// held are the locks this process holds, by the locked directory's real path.
var (
	heldMu sync.Mutex
	held   = map[string]*heldLock{}
)

type heldLock struct {
	f         *os.File
	exclusive bool
	count     int
}

// LockedDir returns the directory whose lock guards dir: its parent, or the parent's nearest
// existing ancestor, links resolved.
func LockedDir(dir string) (string, error) {
	real, err := RealPath(dir)
	if err != nil {
		return "", err
	}
	for p := filepath.Dir(real); ; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return p, nil
		}
		if p == filepath.Dir(p) {
			return p, nil
		}
	}
}

// Acquire locks dir, exclusively for a writer or shared for a reader. When another process
// holds it, waiting is called once (to tell the user) and Acquire blocks until it is free.
func Acquire(dir string, exclusive bool, waiting func(lockedDir string)) (*Lock, error) {
	p, err := LockedDir(dir)
	if err != nil {
		return nil, err
	}
	heldMu.Lock()
	defer heldMu.Unlock()
	if h, ok := held[p]; ok {
		if exclusive && !h.exclusive {
			return nil, fmt.Errorf("lock %s: held shared by this process, wanted exclusive", p)
		}
		h.count++
		return &Lock{key: p}, nil
	}
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	err = unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		if waiting != nil {
			waiting(p)
		}
		err = flockRetry(f, how)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	held[p] = &heldLock{f: f, exclusive: exclusive, count: 1}
	return &Lock{key: p}, nil
}

// flockRetry blocks on the lock, retrying when a signal interrupts the wait.
func flockRetry(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// Release unlocks; safe on nil and twice.
func (l *Lock) Release() error {
	if l == nil || l.key == "" {
		return nil
	}
	heldMu.Lock()
	defer heldMu.Unlock()
	key := l.key
	l.key = ""
	h := held[key]
	if h == nil {
		return nil
	}
	h.count--
	if h.count > 0 {
		return nil
	}
	delete(held, key)
	return h.f.Close() // closing the only descriptor releases the flock
}
