package atomicdir

import (
	"os"

	"golang.org/x/sys/unix"
)

// SyncFS flushes the file system holding p: one call makes a whole staged tree durable before
// it is exchanged in, where a flush per file and directory would wait for the disk once each.
func SyncFS(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
