package emit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"kubeforge.dev/kubeforge/emit/internal/atomicdir"
)

// markerName marks a directory as a kubeforge output, so that kubeforge never replaces a
// directory it did not write.
const markerName = ".kubeforge-output"

// CheckReplaceable returns an error when dir exists and is not a kubeforge output: an
// operator pointing -o at the wrong directory must not lose it.
func CheckReplaceable(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s exists and is not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Lstat(filepath.Join(dir, markerName)); err != nil {
		return fmt.Errorf("%s is not empty and was not written by kubeforge (no %s); refusing to replace it", dir, markerName)
	}
	return nil
}

// swapIn replaces dst with the staged directory in one step (see atomicdir.Exchange), makes
// the exchange durable, and removes the old tree (with a kept file linked into the new tree,
// only its old name).
func swapIn(staged, dst string) error {
	old, err := atomicdir.Exchange(staged, dst)
	if err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return err
	}
	testPoint("swapped")
	return atomicdir.Discard(old, dst)
}

// syncDir flushes a directory's entries to disk; file systems that cannot flush a directory
// (EINVAL) have nothing to flush.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}
