package emit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// markerName marks a directory as a kubeforge output, so that kubeforge never replaces a
// directory it did not write.
const markerName = ".kubeforge-output"

// stage creates an empty staging directory beside dir (same filesystem, so renames are atomic).
func stage(dir string) (string, error) {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	removeStaleStaging(dir)
	return os.MkdirTemp(parent, "."+filepath.Base(dir)+".staging-")
}

// removeStaleStaging removes staging directories a killed compile left beside dir; only those
// that are provably ours (empty, or carrying the output marker) are touched.
func removeStaleStaging(dir string) {
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(filepath.Clean(dir)), "."+filepath.Base(dir)+".staging-*"))
	for _, s := range stale {
		entries, err := os.ReadDir(s)
		if err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(s, markerName)); err == nil || len(entries) == 0 {
			os.RemoveAll(s)
		}
	}
}

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
	if _, err := os.Stat(filepath.Join(dir, markerName)); err != nil {
		return fmt.Errorf("%s is not empty and was not written by kubeforge (no %s); refusing to replace it", dir, markerName)
	}
	return nil
}

// swapIn replaces dst with the staged directory in one step: with renameat2(RENAME_EXCHANGE)
// the old tree and the new one trade places atomically, so a reader (or a kill) sees either
// the whole old output or the whole new one. The old tree, now at staged, is then removed.
func swapIn(staged, dst string) error {
	if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
		return os.Rename(staged, dst)
	}
	err := unix.Renameat2(unix.AT_FDCWD, staged, unix.AT_FDCWD, dst, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) {
		// Filesystems without RENAME_EXCHANGE: move the old tree aside, then the new one in.
		// A kill between the two renames leaves the old output beside dst, not lost.
		old := staged + ".old"
		if err := os.Rename(dst, old); err != nil {
			return err
		}
		if err := os.Rename(staged, dst); err != nil {
			os.Rename(old, dst)
			return err
		}
		return os.RemoveAll(old)
	}
	if err != nil {
		return err
	}
	testPoint("swapped")
	return removeTree(staged)
}
