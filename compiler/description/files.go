package description

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"cuelang.org/go/cue/load"

	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/compiler/untrusted"
)

// totalLimit bounds what one load reads in all: a package of many files, each under the
// limit, must not exhaust memory either.
const totalLimit = 4 * untrusted.DescriptionLimit

// fileReader reads every file of a description as untrusted input: a regular file under
// untrusted.DescriptionLimit, opened without blocking, so that a FIFO, a device or a huge file
// is an I/O error rather than a hang. It is also the file system cue/load reads through
// (load.Config.FS): the package's files, the module file, what the package imports. What it
// read is kept for diagnostics to quote, and what it refused is reported.
type fileReader struct {
	mu      sync.Mutex
	data    map[string][]byte // by absolute path
	total   int64
	refused []refusal
}

type refusal struct {
	path string
	err  error
}

func newFileReader() *fileReader {
	return &fileReader{data: map[string][]byte{}}
}

// readFile returns the contents of the file at path, reading it once.
func (r *fileReader) readFile(path string) ([]byte, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	data, ok := r.data[abs]
	r.mu.Unlock()
	if ok {
		return data, nil
	}
	data, err = untrusted.ReadFile(abs, untrusted.DescriptionLimit)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil && r.total+int64(len(data)) > totalLimit {
		err = fmt.Errorf("the description's files together are larger than %d MiB", totalLimit>>20)
	}
	if err != nil {
		return nil, err
	}
	r.total += int64(len(data))
	data = withoutBOM(data)
	r.data[abs] = data
	return data, nil
}

// loaderRead is readFile for cue/load, keeping what it refused: cue/load would word it as a
// problem of the package.
func (r *fileReader) loaderRead(abs string) ([]byte, error) {
	data, err := r.readFile(abs)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		r.mu.Lock()
		r.refused = append(r.refused, refusal{abs, err})
		r.mu.Unlock()
	}
	return data, err
}

// read returns what was read of the file at an absolute path.
func (r *fileReader) read(abs string) ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	data, ok := r.data[abs]
	return data, ok
}

// paths returns the absolute paths of the files read, sorted.
func (r *fileReader) paths() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.data))
}

// overlay returns everything read, for cue/load to take instead of the files.
func (r *fileReader) overlay() map[string]load.Source {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]load.Source, len(r.data))
	for p, data := range r.data {
		out[p] = load.FromBytes(data)
	}
	return out
}

// refusals returns the files that could not be read, as I/O diagnostics.
func (r *fileReader) refusals(shown func(string) string) diag.List {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out diag.List
	for _, f := range r.refused {
		out = append(out, ioError(shown(f.path), f.err))
	}
	return out
}

// ioError reports a file that could not be read: a usage problem (diag.CodeIO), not an invalid
// description.
func ioError(p string, err error) diag.Diagnostic {
	summary := "cannot read: " + err.Error()
	var fe *untrusted.FileError
	var pe *os.PathError
	switch {
	case errors.As(err, &fe):
		summary = "cannot read the file: it " + fe.Reason
	case errors.As(err, &pe):
		summary = "cannot read: " + pe.Err.Error()
	}
	return diag.Diagnostic{Severity: diag.Error, Pos: diag.Position{File: p}, Summary: summary, Code: diag.CodeIO}
}

// The file system interface cue/load uses: names are slash-separated paths from the root.

func (r *fileReader) Open(name string) (fs.File, error) {
	abs, err := r.osPath("open", name)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return os.Open(abs)
	}
	data, err := r.loaderRead(abs)
	if err != nil {
		return nil, err
	}
	return &memFile{Reader: bytes.NewReader(data), info: fi}, nil
}

func (r *fileReader) ReadFile(name string) ([]byte, error) {
	abs, err := r.osPath("read", name)
	if err != nil {
		return nil, err
	}
	data, err := r.loaderRead(abs)
	return bytes.Clone(data), err
}

func (r *fileReader) ReadDir(name string) ([]fs.DirEntry, error) {
	abs, err := r.osPath("readdir", name)
	if err != nil {
		return nil, err
	}
	return os.ReadDir(abs)
}

func (r *fileReader) Stat(name string) (fs.FileInfo, error) {
	abs, err := r.osPath("stat", name)
	if err != nil {
		return nil, err
	}
	return os.Stat(abs)
}

func (r *fileReader) osPath(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return "/" + name, nil
}

// memFile is a file read into memory, as fs.File.
type memFile struct {
	*bytes.Reader
	info fs.FileInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }
