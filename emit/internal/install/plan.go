// Package install derives what installing a bundle on a node takes, for every emitter alike:
// the directories (with the parents a bundle leaves implicit), the files, the octal modes, and
// which services must react to which files.
package install

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"kubeforge.dev/kubeforge/render/artifact"
)

// ImplicitDirMode is the mode given to a parent directory the bundle does not list.
const ImplicitDirMode = fs.ModeDir | 0o755

// Entry is a directory or file to create on the node.
type Entry struct {
	artifact.Artifact
	// Implicit is true for a parent directory the bundle does not list: emitters create it
	// if missing but should not impose a mode on an existing one where they can avoid it.
	Implicit bool
}

// Plan is a checked bundle, ready to emit.
type Plan struct {
	Host string
	// Dirs holds every directory to create, explicit and implicit, parents first.
	Dirs []Entry
	// Files holds the regular files, sorted by path.
	Files []artifact.Artifact
}

// New checks the bundle and returns its plan: paths absolute and clean, no duplicates, no file
// where a directory is needed, only regular files and directories, owners not negative.
func New(b artifact.Bundle) (Plan, error) {
	p := Plan{Host: b.Name}
	kinds := map[string]bool{} // path → is a directory
	for _, a := range b.Artifacts {
		if err := check(a); err != nil {
			return Plan{}, fmt.Errorf("bundle %s: %w", b.Name, err)
		}
		if _, dup := kinds[a.Path]; dup {
			return Plan{}, fmt.Errorf("bundle %s: %s appears twice", b.Name, a.Path)
		}
		kinds[a.Path] = a.IsDir()
		if a.IsDir() {
			p.Dirs = append(p.Dirs, Entry{Artifact: a})
		} else {
			p.Files = append(p.Files, a)
		}
	}
	for _, a := range b.Artifacts {
		for dir := path.Dir(a.Path); dir != "/"; dir = path.Dir(dir) {
			isDir, known := kinds[dir]
			if known && !isDir {
				return Plan{}, fmt.Errorf("bundle %s: %s is a file but %s is inside it", b.Name, dir, a.Path)
			}
			if !known {
				kinds[dir] = true
				p.Dirs = append(p.Dirs, Entry{Artifact: artifact.Dir(dir, ImplicitDirMode.Perm()), Implicit: true})
			}
		}
	}
	// A parent is a prefix of its children's paths, so path order puts parents first.
	slices.SortFunc(p.Dirs, func(x, y Entry) int { return strings.Compare(x.Path, y.Path) })
	slices.SortFunc(p.Files, func(x, y artifact.Artifact) int { return strings.Compare(x.Path, y.Path) })
	return p, nil
}

func check(a artifact.Artifact) error {
	switch {
	case !path.IsAbs(a.Path) || path.Clean(a.Path) != a.Path || a.Path == "/":
		return fmt.Errorf("path %q is not a clean absolute path below /", a.Path)
	case a.Mode.Type() != 0 && a.Mode.Type() != fs.ModeDir:
		return fmt.Errorf("%s: only regular files and directories can be emitted, not mode %v", a.Path, a.Mode)
	case a.IsDir() && len(a.Data) > 0:
		return fmt.Errorf("%s: a directory has no content", a.Path)
	case a.UID < 0 || a.GID < 0:
		return fmt.Errorf("%s: negative owner %d:%d", a.Path, a.UID, a.GID)
	}
	return nil
}

// Bits returns the Unix permission bits of a mode, as chmod takes them (setuid, setgid and
// sticky included), which differ from Go's fs.FileMode layout.
func Bits(m fs.FileMode) uint32 {
	bits := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		bits |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		bits |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		bits |= 0o1000
	}
	return bits
}

// Octal returns the mode bits as a four-digit octal string ("0600"), as chmod, cloud-init
// and Ansible take them.
func Octal(m fs.FileMode) string { return fmt.Sprintf("%04o", Bits(m)) }

// Relative returns the path without its leading slash, as archives and output trees hold it.
func Relative(p string) string { return strings.TrimPrefix(p, "/") }
