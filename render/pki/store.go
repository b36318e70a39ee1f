package pki

import (
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// A PKI store holds the CAs, the service-account key pair and every issued certificate with
// its key, so that the next compile reuses them:
//
//	ca.crt ca.key front-proxy-ca.crt front-proxy-ca.key etcd/ca.crt etcd/ca.key sa.key sa.pub
//	hosts/<host name>/<leaf name>.crt and .key (apiserver, etcd/server, admin, kubelet-client, ...)
//
// Issue works on the store's content only: it is given a Store and returns the next one, and
// never touches a disk. Reading a store directory and committing the next one together with the
// output is emit/pkistore's job. Files kubeforge does not know survive.

const hostsDir = "hosts"

// Modes of store files: only the owner reads keys; the directories hide even the certificates'
// names from others.
const (
	StoreDirMode  fs.FileMode = 0o700
	StoreKeyMode  fs.FileMode = 0o600
	StoreCertMode fs.FileMode = 0o644
)

// Store is the content of a PKI store, by slash-separated path relative to its directory.
type Store struct {
	// Dir names the store in messages; empty when there is none (everything is issued afresh).
	Dir   string
	Files map[string]StoreFile
}

// StoreFile is one file of a store.
type StoreFile struct {
	Data []byte
	Mode fs.FileMode
}

// clone returns a copy whose file map can change without changing s: files are shared, never
// modified in place.
func (s *Store) clone() *Store {
	if s == nil {
		return &Store{Files: map[string]StoreFile{}}
	}
	out := &Store{Dir: s.Dir, Files: maps.Clone(s.Files)}
	if out.Files == nil {
		out.Files = map[string]StoreFile{}
	}
	return out
}

// path returns the file's path as messages show it: on disk when the store has a directory.
func (s *Store) path(rel string) string {
	if s.Dir == "" {
		return rel
	}
	return filepath.Join(s.Dir, filepath.FromSlash(rel))
}

// get returns a file's content, nil when absent.
func (s *Store) get(rel string) []byte { return s.Files[rel].Data }

// set puts a file.
func (s *Store) set(rel string, data []byte, mode fs.FileMode) {
	s.Files[rel] = StoreFile{Data: data, Mode: mode}
}

// hosts returns the host names having a directory in the store, sorted.
func (s *Store) hosts() []string {
	// A set, not a search of out: with thousands of hosts and several files each, the search
	// made this quadratic.
	seen := map[string]bool{}
	var out []string
	for rel := range s.Files {
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
