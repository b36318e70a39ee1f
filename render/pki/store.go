package pki

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// The store is a directory holding the CAs, the service-account key pair and every issued
// certificate with its key, so that the next compile reuses them:
//
//	ca.crt ca.key front-proxy-ca.crt front-proxy-ca.key etcd/ca.crt etcd/ca.key sa.key sa.pub
//	hosts/<host name>/<leaf name>.crt and .key (apiserver, etcd/server, admin, kubelet-client, ...)
//
// It is read whole, and written whole by Commit: files kubeforge does not know survive.

const hostsDir = "hosts"

// Store file modes: only the owner reads keys; the directories hide even the certificates'
// names from others.
const (
	storeDirMode  fs.FileMode = 0o700
	storeKeyMode  fs.FileMode = 0o600
	storeCertMode fs.FileMode = 0o644
)

// storeFile is one file of the store.
type storeFile struct {
	Data []byte
	Mode fs.FileMode
	// Disk is where the unchanged file lies in the current store; empty for a new content.
	Disk string
}

// store is the store's content, by slash-separated path relative to its directory.
type store struct {
	dir     string
	existed bool
	files   map[string]storeFile
}

// prevSuffix names where Commit moves the old store while it puts the new one in place.
const prevSuffix = ".prev"

// readStore returns the store at dir; a missing directory is an empty store.
func readStore(dir string) (*store, error) {
	st := &store{dir: dir, files: map[string]storeFile{}}
	if dir == "" {
		return st, nil
	}
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, perr := os.Stat(dir + prevSuffix); perr == nil {
			return nil, fmt.Errorf("PKI store %s is missing but %s exists: an earlier commit was interrupted; rename it back to %s", dir, dir+prevSuffix, dir)
		}
		return st, nil
	case err != nil:
		return nil, fmt.Errorf("PKI store: %w", err)
	case !info.IsDir():
		return nil, fmt.Errorf("PKI store %s is not a directory", dir)
	}
	// A store reached through a symlink is read, and replaced, where it really is, so the
	// link survives commits.
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir, st.dir = real, real
	}
	st.existed = true
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		st.files[filepath.ToSlash(rel)] = storeFile{Data: data, Mode: info.Mode().Perm(), Disk: p}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading PKI store: %w", err)
	}
	return st, nil
}

// path returns the file's path on disk, for messages.
func (s *store) path(rel string) string {
	if s.dir == "" {
		return rel
	}
	return filepath.Join(s.dir, filepath.FromSlash(rel))
}

// get returns a file's content, nil when absent.
func (s *store) get(rel string) []byte { return s.files[rel].Data }

// set puts a file.
func (s *store) set(rel string, data []byte, mode fs.FileMode) {
	s.files[rel] = storeFile{Data: data, Mode: mode}
}

// hosts returns the host names having a directory in the store, sorted.
func (s *store) hosts() []string {
	// A set, not a search of out: with thousands of hosts and several files each, the search
	// made this quadratic.
	seen := map[string]bool{}
	var out []string
	for rel := range s.files {
		rest, ok := strings.CutPrefix(rel, hostsDir+"/")
		if !ok {
			continue
		}
		if h, _, ok := strings.Cut(rest, "/"); ok && !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out
}

// leafPath returns the store path of a host's leaf file, ext ".crt" or ".key".
func leafPath(host, leaf, ext string) string { return path.Join(hostsDir, host, leaf+ext) }

// write replaces the store directory with the content, atomically as far as the file system
// allows: everything is written and synced in a new directory beside it, which then takes the
// old one's place by two renames. Until the first rename the old store is untouched; if the
// process dies between the renames, the old store is at dir+".prev" and readStore says so.
func (s *store) write() error {
	if s.dir == "" {
		return errors.New("no PKI store directory given")
	}
	parent := filepath.Dir(s.dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("PKI store: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(s.dir)+".new-")
	if err != nil {
		return fmt.Errorf("PKI store: %w", err)
	}
	if err := s.writeTree(tmp); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("PKI store: writing %s: %w", tmp, err)
	}
	prev := s.dir + prevSuffix
	if s.existed {
		// A leftover from a commit that died after its second rename.
		if err := os.RemoveAll(prev); err != nil {
			os.RemoveAll(tmp)
			return fmt.Errorf("PKI store: %w", err)
		}
		if err := os.Rename(s.dir, prev); err != nil {
			os.RemoveAll(tmp)
			return fmt.Errorf("PKI store: %w", err)
		}
	}
	if err := os.Rename(tmp, s.dir); err != nil {
		if s.existed {
			os.Rename(prev, s.dir)
		}
		os.RemoveAll(tmp)
		return fmt.Errorf("PKI store: %w", err)
	}
	syncDir(parent)
	s.existed = true
	for rel, f := range s.files {
		f.Disk = s.path(rel)
		s.files[rel] = f
	}
	if err := os.RemoveAll(prev); err != nil {
		return fmt.Errorf("PKI store: removing the previous store: %w", err)
	}
	return nil
}

// syncWriters is how many files are written and synced at once: the cost is waiting for the
// disk, and concurrent fsyncs share journal commits (4,000 files took 0.8 s this way, 7.4 s
// one after the other, on the machine this was measured on).
const syncWriters = 32

// writeTree writes every file under root, synced, with private directories. Unchanged files
// are hard-linked from the current store rather than rewritten: the old store is never
// modified in place, and a commit that changes one certificate of a large cluster then costs
// little more than that certificate.
func (s *store) writeTree(root string) error {
	if err := os.Chmod(root, storeDirMode); err != nil {
		return err
	}
	rels := make([]string, 0, len(s.files))
	for rel := range s.files {
		rels = append(rels, rel)
	}
	slices.Sort(rels)
	dirs := map[string]bool{root: true}
	for _, rel := range rels {
		if d := filepath.Join(root, filepath.FromSlash(path.Dir(rel))); !dirs[d] {
			if err := os.MkdirAll(d, storeDirMode); err != nil {
				return err
			}
			dirs[d] = true
		}
	}
	errs := make([]error, len(rels))
	parallelWith(syncWriters, len(rels), func(i int) {
		f := s.files[rels[i]]
		dst := filepath.Join(root, filepath.FromSlash(rels[i]))
		if f.Disk != "" && os.Link(f.Disk, dst) == nil {
			return
		}
		errs[i] = writeSynced(dst, f.Data, f.Mode)
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	// New directory entries, the links included, are durable once their directories are.
	dirList := make([]string, 0, len(dirs))
	for d := range dirs {
		dirList = append(dirList, d)
	}
	parallelWith(syncWriters, len(dirList), func(i int) { syncDir(dirList[i]) })
	return nil
}

// writeSynced creates a file with exactly mode and content, flushed to disk.
func writeSynced(p string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	// The umask may have narrowed the mode at creation.
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir flushes a directory's entries; best effort, as some file systems refuse it.
func syncDir(d string) {
	if f, err := os.Open(d); err == nil {
		f.Sync()
		f.Close()
	}
}
