package untrusted

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// Size limits of the files kubeforge reads. They are far above anything real (a 5,000-host
// YAML description is under 1 MiB) and far below what would exhaust memory.
const (
	DescriptionLimit int64 = 32 << 20
	PEMLimit         int64 = 1 << 20
	StoreFileLimit   int64 = 1 << 20
	// TreeFileLimit bounds a file of an output or golden tree read for comparison.
	TreeFileLimit int64 = 64 << 20
)

// FileError says why a file was not read as untrusted input.
type FileError struct {
	Path   string
	Reason string
	// Err is the underlying system error, when there is one.
	Err  error
	kind kind
}

func (e *FileError) Error() string { return e.Path + ": " + e.Reason }
func (e *FileError) Unwrap() error { return e.Err }

// ErrNotRegular and ErrTooLarge classify FileErrors with errors.Is.
var (
	ErrNotRegular = errors.New("not a regular file")
	ErrTooLarge   = errors.New("file too large")
	ErrSymlink    = errors.New("symbolic link")
)

// Is lets errors.Is match a FileError against ErrNotRegular, ErrTooLarge and ErrSymlink.
func (e *FileError) Is(target error) bool {
	switch target {
	case ErrNotRegular:
		return e.kind == kindNotRegular
	case ErrTooLarge:
		return e.kind == kindTooLarge
	case ErrSymlink:
		return e.kind == kindSymlink
	}
	return false
}

// ReadFile reads a regular file of at most limit bytes, following symbolic links (a user may
// link a description). Anything else, a FIFO, a device, a directory, is refused without
// blocking: the open is non-blocking and the type is checked on the opened file.
func ReadFile(path string, limit int64) ([]byte, error) {
	return read(path, limit, 0)
}

// ReadFileNoFollow is ReadFile refusing a symbolic link as the last path element: for trees
// kubeforge walks (its own outputs, the PKI store), where a link could lead anywhere on the
// machine.
func ReadFileNoFollow(path string, limit int64) ([]byte, error) {
	return read(path, limit, unix.O_NOFOLLOW)
}

func read(path string, limit int64, flags int) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC|flags, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) && flags&unix.O_NOFOLLOW != 0 {
			return nil, &FileError{Path: path, Reason: "is a symbolic link; kubeforge does not follow links inside the trees it reads", kind: kindSymlink, Err: err}
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &FileError{Path: path, Reason: "is " + DescribeType(fi.Mode()) + ", not a regular file", kind: kindNotRegular}
	}
	if fi.Size() > limit {
		return nil, tooLarge(path, limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(path, limit)
	}
	return data, nil
}

func tooLarge(path string, limit int64) error {
	return &FileError{Path: path, Reason: fmt.Sprintf("is larger than %s, the limit for this kind of file", humanSize(limit)), kind: kindTooLarge}
}

type kind int

const (
	kindOther kind = iota
	kindNotRegular
	kindTooLarge
	kindSymlink
)

// DescribeType names a file type for messages: "a named pipe (FIFO)", "a directory".
func DescribeType(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "a special file"
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
