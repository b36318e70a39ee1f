package emit

import (
	"crypto/sha256"
	"crypto/x509"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/parallel"
	"kubeforge.dev/kubeforge/render/pki"
)

// storeHostsDir is where the PKI store keeps each host's certificates and keys
// (hosts/<host>/...). A store file elsewhere is an input of every host.
const storeHostsDir = "hosts/"

// modelDigest is the part of the hosts' input digests the description and the build make:
// computed once per compile, then combined with the store's content before and after the PKI
// step (withStore) without marshalling the model again.
type modelDigest struct {
	// shared digests this kubeforge build, the compile's options, the cluster-wide part of the
	// model and every control-plane and etcd host (other hosts' files name them: etcd members,
	// apiserver endpoints).
	shared []byte
	// hosts digests each host of the model, in description order.
	hosts [][]byte
}

// digestModel returns the model's part of c's input digests.
func digestModel(c *compiler.Cluster, options string) (*modelDigest, error) {
	build, err := buildIdentity()
	if err != nil {
		return nil, err
	}
	shared := sha256.New()
	fmt.Fprintf(shared, "%s\x00%s\x00", build, options)
	model := *c
	model.Hosts = nil
	if err := digestJSON(shared, &model); err != nil {
		return nil, err
	}
	for _, h := range c.Hosts {
		if h.Has(compiler.RoleControlPlane) || h.Has(compiler.RoleEtcd) {
			if err := digestJSON(shared, h); err != nil {
				return nil, err
			}
		}
	}
	m := &modelDigest{shared: shared.Sum(nil), hosts: make([][]byte, len(c.Hosts))}
	err = parallel.ForErr(len(c.Hosts), func(i int) error {
		d := sha256.New()
		if err := digestJSON(d, c.Hosts[i]); err != nil {
			return err
		}
		m.hosts[i] = d.Sum(nil)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// withStore returns, for each host of c (the cluster m was made of), the digest of everything
// its bundle is made from: the model's part, the store's shared files (CAs, service-account and
// encryption keys, files of hosts no longer described) and the host's own store files. Two
// compiles whose digests for a host are equal render the same bundle for it, unless a
// certificate of it comes within renew-before of its expiry (indexedHost.notAfter).
func (m *modelDigest) withStore(c *compiler.Cluster, store *pki.Store) map[string]string {
	own, common := storeFilesByHost(store, c)
	shared := sha256.New()
	shared.Write(m.shared)
	if store != nil {
		writeStoreFiles(shared, store, common)
	}
	base := shared.Sum(nil)
	digests := make([]string, len(c.Hosts))
	parallel.For(len(c.Hosts), func(i int) {
		d := sha256.New()
		d.Write(base)
		d.Write(m.hosts[i])
		if store != nil {
			writeStoreFiles(d, store, own[c.Hosts[i].Name])
		}
		digests[i] = hex.EncodeToString(d.Sum(nil))
	})
	out := make(map[string]string, len(c.Hosts))
	for i, h := range c.Hosts {
		out[h.Name] = digests[i]
	}
	return out
}

// storeFilesByHost returns the store's files (paths) of each host of c, and the others.
func storeFilesByHost(store *pki.Store, c *compiler.Cluster) (own map[string][]string, common []string) {
	own = map[string][]string{}
	if store == nil {
		return own, nil
	}
	described := make(map[string]bool, len(c.Hosts))
	for _, h := range c.Hosts {
		described[h.Name] = true
	}
	for rel := range store.Files {
		host, _, _ := strings.Cut(strings.TrimPrefix(rel, storeHostsDir), "/")
		if strings.HasPrefix(rel, storeHostsDir) && described[host] {
			own[host] = append(own[host], rel)
		} else {
			common = append(common, rel)
		}
	}
	return own, common
}

// digestJSON writes v's JSON to the digest: every exported field of the model, maps sorted.
func digestJSON(w io.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("content index: %w", err)
	}
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(data)))
	w.Write(n[:])
	_, err = w.Write(data)
	return err
}

// writeStoreFiles writes the named store files (path, mode, whole content) to the digest, in
// path order.
func writeStoreFiles(d hash.Hash, store *pki.Store, rels []string) {
	slices.Sort(rels)
	var n [8]byte
	for _, rel := range rels {
		f := store.Files[rel]
		binary.BigEndian.PutUint64(n[:], uint64(len(f.Data)))
		fmt.Fprintf(d, "%s\x00%o\x00", rel, f.Mode)
		d.Write(n[:])
		d.Write(f.Data)
	}
}

// compileOptionsDigest returns the options that change what a host's bundle holds.
func compileOptionsDigest(o CompileOptions) string {
	renew := o.RenewBefore
	if renew == 0 {
		renew = pki.DefaultRenewBefore
	}
	return fmt.Sprintf("nopki=%t redact=%t renew=%d", o.NoPKI, o.Redact, renew)
}

// earliestExpiry returns the earliest NotAfter (Unix seconds) of the certificates among a
// host's store files, 0 when it has none.
func earliestExpiry(store *pki.Store, rels []string) (int64, error) {
	var first int64
	for _, rel := range rels {
		if !strings.HasSuffix(rel, ".crt") {
			continue
		}
		block, _ := pem.Decode(store.Files[rel].Data)
		if block == nil {
			return 0, fmt.Errorf("content index: %s is not PEM", rel)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return 0, fmt.Errorf("content index: %s: %w", rel, err)
		}
		if na := cert.NotAfter.Unix(); first == 0 || na < first {
			first = na
		}
	}
	return first, nil
}

// stillValid reports whether certificates expiring at notAfter are kept by a compile at now
// with renew-before renew (pki re-issues one whose remaining validity is not longer).
func stillValid(notAfter int64, now time.Time, renew time.Duration) bool {
	return notAfter == 0 || time.Unix(notAfter, 0).Sub(now) > renew
}

// buildIdentity names this kubeforge build: its Go build ID (which changes with any change of
// the program), or the digest of the executable where there is none.
var buildIdentity = sync.OnceValues(func() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("content index: %w", err)
	}
	if f, err := elf.Open(exe); err == nil {
		defer f.Close()
		if s := f.Section(".note.go.buildid"); s != nil {
			if data, err := s.Data(); err == nil && len(data) > 0 {
				return "go-build-id:" + hex.EncodeToString(data), nil
			}
		}
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", fmt.Errorf("content index: %w", err)
	}
	defer f.Close()
	d := sha256.New()
	if _, err := io.Copy(d, f); err != nil {
		return "", fmt.Errorf("content index: %w", err)
	}
	return "sha256:" + hex.EncodeToString(d.Sum(nil)), nil
})
