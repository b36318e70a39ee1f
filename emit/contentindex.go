package emit

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/render/artifact"
)

// indexName is the output's content index: for each host, the digest of every input its
// bundle is made from (inputdigest.go) and the entries of its tree, so that a later compile
// whose inputs give the same digest keeps the host's files without rendering it.
const indexName = ".kubeforge-index"

// indexHeader starts an index; a change of the format changes it.
const indexHeader = "kubeforge content index 1"

// contentIndex is an output's index, or the one a compile writes.
type contentIndex struct {
	// store is the PKI store the digests were made with: its real directory, "-" without one.
	store string
	hosts map[string]indexedHost
}

// indexedHost is what the index says of one host.
type indexedHost struct {
	// digest is the digest of the host's inputs (hex).
	digest string
	// notAfter is the earliest expiry of the host's stored certificates (Unix seconds), 0 for
	// none: past it minus renew-before, the host's certificates would be re-issued.
	notAfter int64
	// manifestSize is the size of OUT/<host>.manifest.json.
	manifestSize int64
	entries      []indexEntry
}

// indexEntry is one artifact of a host's tree, as it is on disk.
type indexEntry struct {
	rel  string // relative to the host's tree
	dir  bool
	perm uint32
	size int64
}

// entriesOf returns the tree entries of a bundle's artifacts; false when a path is one
// writeTree refuses or the index cannot hold (a line break).
func entriesOf(b artifact.Bundle) ([]indexEntry, bool) {
	out := make([]indexEntry, 0, len(b.Artifacts))
	for _, a := range b.Artifacts {
		rel, err := nodeRel(a.Path)
		if err != nil || strings.ContainsAny(rel, "\n\r") {
			return nil, false
		}
		out = append(out, indexEntry{rel: rel, dir: a.IsDir(), perm: uint32(a.Mode.Perm()), size: int64(len(a.Data))})
	}
	return out, true
}

// encode returns the index as written, hosts in the order given.
func (x *contentIndex) encode(order []string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nstore %s\n", indexHeader, x.store)
	for _, name := range order {
		h, ok := x.hosts[name]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "host %s %s %d %d %d\n", name, h.digest, h.notAfter, h.manifestSize, len(h.entries))
		for _, e := range h.entries {
			kind := "f"
			if e.dir {
				kind = "d"
			}
			fmt.Fprintf(&b, "%s %04o %d %s\n", kind, e.perm, e.size, e.rel)
		}
	}
	return b.Bytes()
}

// readIndex returns the index of the live output, or nil when it has none that can be
// trusted: a regular file of this process's owner, mode 0644, not modified after the
// generation's marker, that parses.
func readIndex(l *liveOutput) *contentIndex {
	p := filepath.Join(l.dir, indexName)
	var st unix.Stat_t
	if unix.Lstat(p, &st) != nil || st.Uid != l.uid || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Mode&0o7777 != 0o644 || after(st.Mtim, l.stamp) {
		return nil
	}
	data, err := untrusted.ReadFileNoFollow(p, untrusted.TreeFileLimit)
	if err != nil {
		return nil
	}
	x, err := parseIndex(data)
	if err != nil {
		return nil
	}
	return x
}

// parseIndex parses an index strictly: anything unexpected makes it unusable.
func parseIndex(data []byte) (*contentIndex, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	line := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		return sc.Text(), true
	}
	bad := fmt.Errorf("not a content index")
	if l, ok := line(); !ok || l != indexHeader {
		return nil, bad
	}
	l, ok := line()
	store, found := strings.CutPrefix(l, "store ")
	if !ok || !found || store == "" {
		return nil, bad
	}
	x := &contentIndex{store: store, hosts: map[string]indexedHost{}}
	for {
		l, ok := line()
		if !ok {
			break
		}
		f := strings.Fields(l)
		if len(f) != 6 || f[0] != "host" || len(f[2]) != 64 {
			return nil, bad
		}
		var h indexedHost
		var n int64
		var err1, err2, err3 error
		h.digest = f[2]
		h.notAfter, err1 = strconv.ParseInt(f[3], 10, 64)
		h.manifestSize, err2 = strconv.ParseInt(f[4], 10, 64)
		n, err3 = strconv.ParseInt(f[5], 10, 32)
		if err1 != nil || err2 != nil || err3 != nil || n < 0 {
			return nil, bad
		}
		for range n {
			l, ok := line()
			e := strings.SplitN(l, " ", 4)
			if !ok || len(e) != 4 || (e[0] != "d" && e[0] != "f") {
				return nil, bad
			}
			perm, err := strconv.ParseUint(e[1], 8, 32)
			size, serr := strconv.ParseInt(e[2], 10, 64)
			if err != nil || serr != nil || perm > 0o777 || size < 0 || !fs.ValidPath(e[3]) || e[3] == "." {
				return nil, bad
			}
			h.entries = append(h.entries, indexEntry{rel: e[3], dir: e[0] == "d", perm: uint32(perm), size: size})
		}
		if _, dup := x.hosts[f[1]]; dup {
			return nil, bad
		}
		x.hosts[f[1]] = h
	}
	if sc.Err() != nil {
		return nil, bad
	}
	return x, nil
}
