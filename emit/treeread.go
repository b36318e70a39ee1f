package emit

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"kubeforge.dev/kubeforge/compiler/untrusted"
)

// treeEntry is what a compared tree holds at one node path, as lstat saw it: nothing behind a
// symbolic link is ever looked at.
type treeEntry struct {
	// Disk is where the entry lies.
	Disk string
	// Mode holds the type bits and permissions.
	Mode     fs.FileMode
	UID, GID int
	Size     int64
	// Problem says why the content must not be read (a link, a FIFO, a device, a file too
	// large); empty for directories and regular files.
	Problem string
}

func (e treeEntry) isDir() bool { return e.Mode.IsDir() }

// read returns a regular file's content, refusing (again, on the opened file) anything else,
// a symbolic link included: the tree may have changed since it was walked.
func (e treeEntry) read() ([]byte, error) {
	return untrusted.ReadFileNoFollow(e.Disk, untrusted.TreeFileLimit)
}

// tree is a compared tree by node path ("/etc/kubernetes/admin.conf").
type tree map[string]treeEntry

// readTree walks the tree under root without following symbolic links and without reading
// any file. ok is false when root does not exist. A root that is not a directory (a link to
// one included) is returned as a single entry "/" carrying the problem.
func readTree(root string) (t tree, ok bool, err error) {
	fi, err := os.Lstat(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	t = tree{}
	if !fi.IsDir() {
		e := entryOf(root, fi)
		if e.Problem == "" {
			e.Problem = "is a file, not a directory"
		}
		t["/"] = e
		return t, true, nil
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		// WalkDir lstats: a link to a directory is an entry, never descended.
		fi, err := d.Info()
		if err != nil {
			return err
		}
		t[nodePath(root, p)] = entryOf(p, fi)
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return t, true, nil
}

// nodePath returns the node path of p inside the tree rooted at root.
func nodePath(root, p string) string {
	return "/" + filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator)))
}

func entryOf(p string, fi fs.FileInfo) treeEntry {
	e := treeEntry{Disk: p, Mode: fi.Mode(), Size: fi.Size()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.UID, e.GID = int(st.Uid), int(st.Gid)
	}
	switch {
	case fi.IsDir():
	case fi.Mode()&fs.ModeSymlink != 0:
		e.Problem = "is a symbolic link; not followed"
	case !fi.Mode().IsRegular():
		e.Problem = "is " + untrusted.DescribeType(fi.Mode()) + "; not read"
	case fi.Size() > untrusted.TreeFileLimit:
		e.Problem = "is larger than the limit for a compared file; not read"
	}
	return e
}
