// Package artifact defines what renderers produce and emitters consume: files (and
// directories) at their paths on a node, with mode, owner, content, provenance, and what the
// node must do for a change to take effect (Effect, and the systemd unit a file belongs to).
// Emitters read these fields; none infers them from a path.
package artifact

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"slices"

	"kubeforge.dev/kubeforge/compiler"
)

// Artifact is one file or directory of a bundle.
type Artifact struct {
	// Path is absolute, as on the node: /var/lib/kubelet/config.yaml.
	Path string
	// Mode holds the permission bits, and fs.ModeDir for a directory.
	Mode fs.FileMode
	// UID and GID own the file; kubeadm's files are root's.
	UID, GID int
	Data     []byte
	// Secret marks private keys and files embedding them (kubeconfigs): never printed, and
	// fingerprinted rather than shown by diff and redacted outputs.
	Secret bool
	// Unknown marks a secret whose content this compile does not know: the key of a
	// certificate kept in a diff without the PKI store. Data is empty (for a kubeconfig, it
	// lacks its key); a diff takes the file as unchanged when the compared one holds the rest.
	Unknown bool
	// Sources are the description fields the artifact was derived from, for provenance.
	Sources []string
	// Effects are what the node must do once the file changed, set by the renderer that
	// knows what reads it.
	Effects Effect
	// Unit is the systemd unit the file defines (its unit file) or extends (a drop-in), as
	// systemd names it: kubelet.service. Empty for every other file.
	Unit string
}

// IsDir reports whether the artifact is a directory.
func (a Artifact) IsDir() bool { return a.Mode.IsDir() }

// SHA256 returns the hex digest of the content.
func (a Artifact) SHA256() string {
	sum := sha256.Sum256(a.Data)
	return hex.EncodeToString(sum[:])
}

// Affecting returns a with effects e added: artifact.File(...).Affecting(artifact.RestartKubelet).
func (a Artifact) Affecting(e Effect) Artifact {
	a.Effects |= e
	return a
}

// OfUnit returns a as (a unit file or drop-in of) the systemd unit named unit, whose change
// systemd reads on daemon-reload.
func (a Artifact) OfUnit(unit string) Artifact {
	a.Unit = unit
	return a.Affecting(ReloadSystemd)
}

// File returns a root-owned file artifact.
func File(path string, mode fs.FileMode, data []byte, sources ...string) Artifact {
	return Artifact{Path: path, Mode: mode, Data: data, Sources: sources}
}

// Dir returns a root-owned directory artifact.
func Dir(path string, mode fs.FileMode, sources ...string) Artifact {
	return Artifact{Path: path, Mode: fs.ModeDir | mode, Sources: sources}
}

// Bundle is everything one host receives, or the cluster-level bundle.
type Bundle struct {
	// Name is the host name, or ClusterBundle.
	Name      string
	Artifacts []Artifact
}

// ClusterBundle names the bundle of cluster-level manifests applied through the API.
const ClusterBundle = compiler.ClusterBundleDir

// Add appends artifacts.
func (b *Bundle) Add(a ...Artifact) { b.Artifacts = append(b.Artifacts, a...) }

// Sort orders artifacts by path, so every output is deterministic.
func (b *Bundle) Sort() {
	slices.SortStableFunc(b.Artifacts, func(x, y Artifact) int { return cmp.Compare(x.Path, y.Path) })
}

// Lookup returns the artifact at path.
func (b *Bundle) Lookup(path string) (Artifact, bool) {
	for _, a := range b.Artifacts {
		if a.Path == path {
			return a, true
		}
	}
	return Artifact{}, false
}
