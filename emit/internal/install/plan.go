// Package install derives what installing a bundle on a node takes, for every emitter alike:
// the directories (with the parents a bundle leaves implicit), the files, the octal modes, and
// which steps and units must react to the files. What a file's change requires and which unit
// it belongs to come from the artifacts (artifact.Effect, Artifact.Unit), set by the renderers;
// this package only collects them and checks they are coherent.
package install

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

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

// New checks the bundle and returns its plan: a host name safe as a file name and in every
// emitter's format, paths absolute, clean and on one line, no duplicates, no file where a
// directory is needed, only regular files and directories, owners not negative, kernel
// module names that modprobe cannot read as options, unit names that are unit names and
// belong to the unit's file or drop-in directory.
func New(b artifact.Bundle) (Plan, error) {
	if err := CheckHostName(b.Name); err != nil {
		return Plan{}, fmt.Errorf("bundle: %w", err)
	}
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

// hostName is what a bundle may be called: it names output files (HOST.yaml, host_vars/HOST.yml)
// and appears in comments, inventories and host patterns.
var hostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`)

// invisible reports characters a path written on one line of YAML, a shell command or a listing
// cannot show as they are: controls (newline, NUL, NEL, ...), formatting characters (bidi
// overrides, zero-width spaces) and the line and paragraph separators YAML 1.1 breaks lines at.
func invisible(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
}

// CheckHostName returns an error unless name is safe as a bundle's and an inventory host's name.
func CheckHostName(name string) error {
	if !hostName.MatchString(name) {
		return fmt.Errorf("host name %q: letters, digits, '.', '_' and '-', starting and ending with a letter or digit", name)
	}
	return nil
}

func check(a artifact.Artifact) error {
	switch {
	case !path.IsAbs(a.Path) || path.Clean(a.Path) != a.Path || a.Path == "/":
		return fmt.Errorf("path %q is not a clean absolute path below /", a.Path)
	case !utf8.ValidString(a.Path) || strings.ContainsFunc(a.Path, invisible):
		return fmt.Errorf("path %q holds a control, formatting or line-separator character, or invalid UTF-8", a.Path)
	case a.Mode.Type() != 0 && a.Mode.Type() != fs.ModeDir:
		return fmt.Errorf("%s: only regular files and directories can be emitted, not mode %v", a.Path, a.Mode)
	case a.IsDir() && len(a.Data) > 0:
		return fmt.Errorf("%s: a directory has no content", a.Path)
	case a.UID < 0 || a.GID < 0:
		return fmt.Errorf("%s: negative owner %d:%d", a.Path, a.UID, a.GID)
	case a.Effects.Has(artifact.LoadModules):
		for _, m := range moduleLines(a.Data) {
			if !moduleName.MatchString(m) {
				return fmt.Errorf("%s: %q is not a kernel module name", a.Path, m)
			}
		}
	}
	return checkUnit(a)
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
