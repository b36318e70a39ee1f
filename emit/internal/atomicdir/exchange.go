package atomicdir

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// Exchange puts the directory staged at dst in one step and returns where the previous dst
// now is ("" when there was none): at staged, which the caller discards (or exchanges back to
// undo). With renameat2(RENAME_EXCHANGE) the two trees trade places atomically, so a reader, or
// a kill, sees either the whole old tree or the whole new one. On file systems without it, the
// old tree is moved to Aside(dst) first; a kill between the two renames leaves it there, and
// RemoveLeftovers reports it.
func Exchange(staged, dst string) (string, error) {
	aside := Aside(dst)
	if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
		return "", os.Rename(staged, dst)
	}
	err := unix.Renameat2(unix.AT_FDCWD, staged, unix.AT_FDCWD, dst, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) {
		if err := os.Rename(dst, aside); err != nil {
			return "", err
		}
		if err := os.Rename(staged, dst); err != nil {
			os.Rename(aside, dst)
			return "", err
		}
		return aside, nil
	}
	if err != nil {
		return "", err
	}
	return staged, nil
}
