package emit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/render/artifact"
)

// Manifest lists every file of a host's bundle: what an operator or a later `diff` checks a
// node against without reading the files.
type Manifest struct {
	Bundle string          `json:"bundle"`
	Files  []ManifestEntry `json:"files"`
}

// ManifestEntry describes one artifact; secrets are listed with their digest only.
type ManifestEntry struct {
	Path    string   `json:"path"`
	Type    string   `json:"type"`
	Mode    string   `json:"mode"`
	UID     int      `json:"uid"`
	GID     int      `json:"gid"`
	Size    int      `json:"size"`
	SHA256  string   `json:"sha256,omitempty"`
	Secret  bool     `json:"secret,omitempty"`
	Sources []string `json:"sources,omitempty"`
}

// ManifestOf returns the manifest of a bundle, in the bundle's (sorted) order.
func ManifestOf(b artifact.Bundle) Manifest {
	m := Manifest{Bundle: b.Name, Files: make([]ManifestEntry, 0, len(b.Artifacts))}
	for _, a := range b.Artifacts {
		e := ManifestEntry{Path: a.Path, Type: "file", Mode: fmt.Sprintf("%04o", a.Mode.Perm()), UID: a.UID, GID: a.GID,
			Size: len(a.Data), Secret: a.Secret, Sources: a.Sources}
		if a.IsDir() {
			e.Type = "directory"
		} else {
			e.SHA256 = a.SHA256()
		}
		m.Files = append(m.Files, e)
	}
	return m
}

// JSON returns the manifest as indented JSON with a final newline.
func (m Manifest) JSON() []byte {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return append(b, '\n')
}

// ManifestFile returns the name of a bundle's manifest in an output directory.
func ManifestFile(bundle string) string { return bundle + compiler.ManifestSuffix }

// recorded is a manifest entry checked and indexed: what an output says a node path holds.
type recorded struct {
	ManifestEntry
	Perm fs.FileMode
}

// readManifest reads the manifest at p as untrusted input (a regular file, no link, bounded
// size, known fields only) and indexes it by path; ok is false when there is none.
func readManifest(p, bundle string) (map[string]recorded, bool, error) {
	data, err := untrusted.ReadFileNoFollow(p, untrusted.TreeFileLimit)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, false, fmt.Errorf("%s: %v", p, err)
	}
	if m.Bundle != bundle {
		return nil, false, fmt.Errorf("%s: describes bundle %q, not %q", p, m.Bundle, bundle)
	}
	out := make(map[string]recorded, len(m.Files))
	for _, e := range m.Files {
		r, err := checkEntry(e)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %v", p, err)
		}
		if _, dup := out[e.Path]; dup {
			return nil, false, fmt.Errorf("%s: %s is listed twice", p, e.Path)
		}
		out[e.Path] = r
	}
	return out, true, nil
}

// checkEntry refuses an entry no compile writes: its fields end up in messages and decide
// what is compared.
func checkEntry(e ManifestEntry) (recorded, error) {
	if !path.IsAbs(e.Path) || path.Clean(e.Path) != e.Path || e.Path == "/" || !utf8.ValidString(e.Path) {
		return recorded{}, fmt.Errorf("path %q is not a clean absolute path", e.Path)
	}
	perm, err := strconv.ParseUint(e.Mode, 8, 32)
	if err != nil || perm > 0o777 || len(e.Mode) != 4 {
		return recorded{}, fmt.Errorf("%s: mode %q is not four octal digits", e.Path, e.Mode)
	}
	if e.UID < 0 || e.GID < 0 {
		return recorded{}, fmt.Errorf("%s: negative owner", e.Path)
	}
	switch e.Type {
	case "directory":
	case "file":
		if len(e.SHA256) != 64 || strings.Trim(e.SHA256, "0123456789abcdef") != "" {
			return recorded{}, fmt.Errorf("%s: sha256 %q is not a hex digest", e.Path, e.SHA256)
		}
	default:
		return recorded{}, fmt.Errorf("%s: type %q is neither file nor directory", e.Path, e.Type)
	}
	return recorded{ManifestEntry: e, Perm: fs.FileMode(perm)}, nil
}
