package pkistore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"kubeforge.dev/kubeforge/emit/internal/atomicdir"
	"kubeforge.dev/kubeforge/render/pki"
)

// Access says what a command does with the store.
type Access int

const (
	// Read is for diff and pki check: a shared lock, nothing removed or written.
	Read Access = iota
	// Write is for compile: an exclusive lock, leftovers removed, Update allowed.
	Write
)

// Handle is an open store: locked until Close.
type Handle struct {
	// dir is the store's real directory (a store reached through a symbolic link is read and
	// replaced where it really is, so the link survives commits).
	dir     string
	access  Access
	existed bool
	content *pki.Store
	lock    *atomicdir.Lock
}

// legacyPrev is where kubeforge before the transactional commit moved the old store while
// putting a new one in place; a kill then left the store only there.
const legacyPrev = ".prev"

// Open locks the store at dir and reads it; a missing directory is an empty store. notes, when
// set, is told what Open waits for or cleans up.
func Open(dir string, access Access, notes func(string)) (*Handle, error) {
	if dir == "" {
		return nil, errors.New("no PKI store directory given")
	}
	real, err := atomicdir.RealPath(dir)
	if err != nil {
		return nil, fmt.Errorf("PKI store %s: %w", dir, err)
	}
	lock, err := atomicdir.Acquire(real, access == Write, func(locked string) {
		if notes != nil {
			notes(fmt.Sprintf("waiting for another kubeforge using the PKI store %s (locked: %s) to finish", dir, locked))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("PKI store: %w", err)
	}
	h := &Handle{dir: real, access: access, lock: lock, content: &pki.Store{Dir: dir, Files: map[string]pki.StoreFile{}}}
	if err := h.open(notes); err != nil {
		lock.Release()
		return nil, err
	}
	return h, nil
}

func (h *Handle) open(notes func(string)) error {
	if h.access == Write {
		removed, err := atomicdir.RemoveLeftovers(h.dir)
		if err != nil {
			return fmt.Errorf("PKI store: %w", err)
		}
		legacy, _ := filepath.Glob(filepath.Join(filepath.Dir(h.dir), "."+filepath.Base(h.dir)+".new-*"))
		for _, l := range legacy {
			if err := os.RemoveAll(l); err != nil {
				return fmt.Errorf("PKI store: %w", err)
			}
		}
		if notes != nil && len(removed)+len(legacy) > 0 {
			notes(fmt.Sprintf("removed what an interrupted compile left beside the PKI store: %s", strings.Join(append(removed, legacy...), ", ")))
		}
	}
	info, err := os.Lstat(h.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, perr := os.Lstat(h.dir + legacyPrev); perr == nil {
			return fmt.Errorf("PKI store %s is missing but %s exists: an earlier commit was interrupted; rename it back to %s", h.dir, h.dir+legacyPrev, h.dir)
		}
		return nil
	case err != nil:
		return fmt.Errorf("PKI store: %w", err)
	case !info.IsDir():
		return fmt.Errorf("PKI store %s is not a directory", h.dir)
	}
	h.existed = true
	if h.access == Write {
		if _, err := os.Lstat(h.dir + legacyPrev); err == nil {
			// The old commit died after putting the new store in place: .prev is stale.
			if err := os.RemoveAll(h.dir + legacyPrev); err != nil {
				return fmt.Errorf("PKI store: %w", err)
			}
		}
	}
	return h.read()
}

// Content returns the store's content as read.
func (h *Handle) Content() *pki.Store { return h.content }

// Dir returns the store's real directory.
func (h *Handle) Dir() string { return h.dir }

// Close releases the lock.
func (h *Handle) Close() error {
	if h == nil {
		return nil
	}
	return h.lock.Release()
}
