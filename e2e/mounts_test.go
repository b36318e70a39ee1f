//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// mountpointState lists the mountpoints the suite created on this machine, so that a run
// killed before its cleanup has them removed by the next run.
const mountpointState = "/run/kubeforge-e2e-mountpoints"

// bind is a bind mount of a simulated host: src on this machine, seen at dst in the host's
// private mount namespace.
type bind struct {
	src, dst string
	readOnly bool
}

// mountpoints creates the mount targets missing on this machine and removes exactly those
// at the end.
type mountpoints struct {
	mu      sync.Mutex
	created []string // in creation order
}

// ensure makes path exist on this machine (a directory, or an empty file when dir is false),
// recording every component it had to create.
func (m *mountpoints) ensure(path string, dir bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	parts := strings.Split(strings.Trim(path, "/"), "/")
	cur := "/"
	for i, p := range parts {
		cur = filepath.Join(cur, p)
		last := i == len(parts)-1
		fi, err := os.Lstat(cur)
		if err == nil {
			if (!last || dir) && !fi.IsDir() {
				return fmt.Errorf("mountpoint %s: %s exists and is not a directory", path, cur)
			}
			if last && !dir && fi.IsDir() {
				return fmt.Errorf("mountpoint %s exists as a directory, a file is mounted there", path)
			}
			continue
		}
		if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err := m.record(cur); err != nil {
			return err
		}
		if last && !dir {
			err = os.WriteFile(cur, nil, 0o600)
		} else {
			err = os.Mkdir(cur, 0o755)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// record notes a path about to be created, in memory and in the state file.
func (m *mountpoints) record(p string) error {
	m.created = append(m.created, p)
	f, err := os.OpenFile(mountpointState, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintln(f, p)
	return err
}

// createdByUs reports whether the suite created path (so it is not part of this machine).
func (m *mountpoints) createdByUs(path string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Contains(m.created, filepath.Clean(path))
}

// removeAll removes every recorded mountpoint, deepest first, and returns them and what it
// could not remove. Only empty directories and empty files go: anything else was not ours.
func (m *mountpoints) removeAll() ([]string, []error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	created := m.created
	errs := removeMountpoints(m.created)
	m.created = nil
	if len(errs) == 0 {
		os.Remove(mountpointState)
	}
	return created, errs
}

// removeMountpoints removes the given paths in reverse order, only if empty.
func removeMountpoints(paths []string) []error {
	var errs []error
	for i := len(paths) - 1; i >= 0; i-- {
		p := paths[i]
		fi, err := os.Lstat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err == nil && !fi.IsDir() && fi.Size() != 0 {
			errs = append(errs, fmt.Errorf("%s: not empty, left in place", p))
			continue
		}
		if err := os.Remove(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// removeStaleMountpoints removes the mountpoints a crashed earlier run recorded.
func removeStaleMountpoints() []error {
	data, err := os.ReadFile(mountpointState)
	if err != nil {
		return nil
	}
	errs := removeMountpoints(strings.Fields(string(data)))
	if len(errs) == 0 {
		os.Remove(mountpointState)
	}
	return errs
}

// prepareBinds creates the mountpoints of binds (sorted parents first): on this machine, or
// inside the source of an earlier bind that covers the target, since in the namespace that
// source is what the target's parent shows.
func (m *mountpoints) prepareBinds(binds []bind) error {
	for i, b := range binds {
		fi, err := os.Stat(b.src)
		if err != nil {
			return fmt.Errorf("bind source: %w", err)
		}
		covering := -1
		for j := range binds[:i] {
			if within(b.dst, binds[j].dst) {
				covering = j
			}
		}
		if covering < 0 {
			if err := m.ensure(b.dst, fi.IsDir()); err != nil {
				return err
			}
			continue
		}
		rel, _ := filepath.Rel(binds[covering].dst, b.dst)
		inner := filepath.Join(binds[covering].src, rel)
		if _, err := os.Stat(inner); err != nil {
			return fmt.Errorf("bind %s is inside bind %s, whose source lacks %s", b.dst, binds[covering].dst, inner)
		}
	}
	return nil
}

// sortBinds orders binds so that a parent is mounted before what is mounted inside it.
func sortBinds(binds []bind) {
	slices.SortStableFunc(binds, func(a, b bind) int {
		return strings.Compare(a.dst, b.dst)
	})
}

// within reports whether path is inside dir (and not dir itself).
func within(path, dir string) bool {
	return strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/")
}
