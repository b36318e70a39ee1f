package emit

import (
	"encoding/json"
	"fmt"

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
