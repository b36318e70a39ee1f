package atomicdir

import (
	"os"

	"golang.org/x/sys/unix"
)

// SyncFS flushes the file system holding p: one call that makes a whole staged tree durable
// before Exchange, where a flush per file and directory would wait for the disk once per entry.
func SyncFS(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
