package atomicdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/parallel"
)

// The names kubeforge gives, beside a directory D it replaces, to what exists only during a
// transaction: D's new tree while it is written (.D.staging-*), D's old tree on its way out
// (.D.trash-*), and D's old tree moved aside on file systems without an atomic exchange (.D.old).
// A kill leaves some of them; the next run, holding D's lock, removes them.
func prefix(dir string) string {
	dir = filepath.Clean(dir)
	return filepath.Join(filepath.Dir(dir), compiler.TransientPrefix+filepath.Base(dir))
}

// Staging creates an empty staging directory beside dir, on the same file system so that
// Exchange can rename it into place.
func Staging(dir string) (string, error) {
	p := prefix(dir)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(filepath.Dir(p), filepath.Base(p)+compiler.StagingInfix)
}

// Aside is where Exchange moves dir's old tree on file systems that cannot exchange.
func Aside(dir string) string { return prefix(dir) + compiler.SetAsideSuffix }

// Discard removes a tree that left service (an old output or store, a staging area that
// failed): it is renamed to a trash name first, so that a kill during the removal leaves a
// tree the next run recognises and finishes removing, never a half-removed one under a name
// that means something else.
func Discard(tree, dir string) error {
	if tree == "" {
		return nil
	}
	if fi, err := os.Lstat(tree); err != nil {
		return err
	} else if !fi.IsDir() {
		return os.Remove(tree)
	}
	trash, err := os.MkdirTemp(filepath.Dir(prefix(dir)), filepath.Base(prefix(dir))+compiler.TrashInfix)
	if err != nil {
		return err
	}
	// Renaming onto the empty directory just made replaces it (os.Rename refuses to; the
	// system call does not).
	if err := unix.Rename(tree, trash); err != nil {
		os.Remove(trash)
		return err
	}
	return removeTree(trash)
}

// removeTree removes dir and everything below it, its top-level entries in parallel: removing
// a large output costs mostly system-call time, which two cores halve.
func removeTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return os.RemoveAll(dir)
	}
	if err := parallel.ForErr(len(entries), func(i int) error {
		return os.RemoveAll(filepath.Join(dir, entries[i].Name()))
	}); err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// RemoveLeftovers removes what killed runs left beside dir. The caller holds dir's lock, so
// nothing else is using them. A tree moved aside whose directory is missing is not removed:
// it is the only copy, and the error says how to restore it.
func RemoveLeftovers(dir string) ([]string, error) {
	p := prefix(dir)
	var removed []string
	for _, pattern := range []string{p + compiler.StagingInfix + "*", p + compiler.TrashInfix + "*"} {
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			if err := os.RemoveAll(m); err != nil {
				return removed, err
			}
			removed = append(removed, m)
		}
	}
	aside := Aside(dir)
	if _, err := os.Lstat(aside); err == nil {
		if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
			return removed, fmt.Errorf("%s is missing but %s exists: a run was interrupted while replacing it; rename %s back to %s", dir, aside, aside, dir)
		}
		if err := os.RemoveAll(aside); err != nil {
			return removed, err
		}
		removed = append(removed, aside)
	}
	return removed, nil
}
