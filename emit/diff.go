package emit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"kubeforge.dev/kubeforge/render/artifact"
)

// redactedPrefix starts the content that stands for a secret in a redacted output.
const redactedPrefix = "kubeforge:redacted sha256:"

// Redact replaces every secret's content with its fingerprint, so that an output can be
// committed as a golden tree without key material and still be diffed.
func Redact(b artifact.Bundle) artifact.Bundle {
	out := artifact.Bundle{Name: b.Name, Artifacts: slices.Clone(b.Artifacts)}
	for i, a := range out.Artifacts {
		if a.Secret && !a.IsDir() {
			out.Artifacts[i].Data = []byte(redactedPrefix + a.SHA256() + "\n")
		}
	}
	return out
}

// Change is one difference between a compiled bundle and an output directory.
type Change struct {
	Bundle string
	Path   string
	// Kind is "added" (compiled, not in the directory), "removed" or "changed".
	Kind string
	// Detail says what changed: a unified diff for text, fingerprints for secrets and binary
	// files, or the modes.
	Detail string
}

func (c Change) String() string {
	return fmt.Sprintf("%s %s:%s", c.Kind, c.Bundle, c.Path)
}

// Diff compares compiled bundles with an output directory written by Write (or a golden
// tree), bundle by bundle. Only the named bundles are compared; a bundle directory missing
// from dir shows all its files as added.
func Diff(dir string, bundles []artifact.Bundle) ([]Change, error) {
	var changes []Change
	for _, b := range bundles {
		cs, err := diffBundle(filepath.Join(dir, b.Name), b)
		if err != nil {
			return nil, err
		}
		changes = append(changes, cs...)
	}
	return changes, nil
}

func diffBundle(root string, b artifact.Bundle) ([]Change, error) {
	actual := map[string]fs.FileInfo{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == root {
				return filepath.SkipDir
			}
			return err
		}
		if p == root {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		actual["/"+filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator)))] = fi
		return nil
	})
	if err != nil {
		return nil, err
	}
	var changes []Change
	expected := map[string]bool{}
	for _, a := range b.Artifacts {
		expected[a.Path] = true
		fi, ok := actual[a.Path]
		if !ok {
			changes = append(changes, Change{Bundle: b.Name, Path: a.Path, Kind: "added", Detail: describe(a)})
			continue
		}
		if c, changed := compareArtifact(b.Name, filepath.Join(root, a.Path), fi, a); changed {
			changes = append(changes, c)
		}
	}
	var removed []string
	for p, fi := range actual {
		// Parent directories that no artifact names are part of the layout, not of the bundle.
		if !expected[p] && !(fi.IsDir() && hasArtifactBelow(b, p)) {
			removed = append(removed, p)
		}
	}
	slices.Sort(removed)
	for _, p := range removed {
		changes = append(changes, Change{Bundle: b.Name, Path: p, Kind: "removed"})
	}
	return changes, nil
}

func hasArtifactBelow(b artifact.Bundle, dir string) bool {
	return slices.ContainsFunc(b.Artifacts, func(a artifact.Artifact) bool { return strings.HasPrefix(a.Path, dir+"/") })
}

func describe(a artifact.Artifact) string {
	if a.IsDir() {
		return fmt.Sprintf("directory %04o", a.Mode.Perm())
	}
	if a.Secret {
		return fmt.Sprintf("secret %04o sha256:%s", a.Mode.Perm(), a.SHA256())
	}
	return fmt.Sprintf("%04o, %d bytes", a.Mode.Perm(), len(a.Data))
}

// compareArtifact compares one artifact with the file at p.
func compareArtifact(bundle, p string, fi fs.FileInfo, a artifact.Artifact) (Change, bool) {
	c := Change{Bundle: bundle, Path: a.Path, Kind: "changed"}
	var details []string
	if fi.IsDir() != a.IsDir() {
		c.Detail = fmt.Sprintf("was a %s, now a %s", kindOf(fi.IsDir()), kindOf(a.IsDir()))
		return c, true
	}
	if fi.Mode().Perm() != a.Mode.Perm() {
		details = append(details, fmt.Sprintf("mode %04o -> %04o", fi.Mode().Perm(), a.Mode.Perm()))
	}
	if !a.IsDir() {
		old, err := readFile(p)
		if err != nil {
			c.Detail = err.Error()
			return c, true
		}
		if d, changed := contentDiff(a, old); changed {
			details = append(details, d)
		}
	}
	c.Detail = strings.Join(details, "\n")
	return c, len(details) > 0
}

func kindOf(dir bool) string {
	if dir {
		return "directory"
	}
	return "file"
}

func readFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// contentDiff compares content: secrets by fingerprint (a redacted file stands for its
// fingerprint), text by unified diff, other bytes by digest.
func contentDiff(a artifact.Artifact, old []byte) (string, bool) {
	oldSum := fingerprint(old)
	newSum := a.SHA256()
	if a.Secret || bytes.HasPrefix(old, []byte(redactedPrefix)) {
		if oldSum == newSum {
			return "", false
		}
		return fmt.Sprintf("secret sha256:%s -> sha256:%s", short(oldSum), short(newSum)), true
	}
	if bytes.Equal(old, a.Data) {
		return "", false
	}
	if utf8.Valid(old) && utf8.Valid(a.Data) {
		if d, ok := unifiedDiff("a"+a.Path, "b"+a.Path, old, a.Data); ok {
			return d, true
		}
	}
	return fmt.Sprintf("sha256:%s -> sha256:%s", short(oldSum), short(newSum)), true
}

// fingerprint returns the digest a file stands for: a redacted file's recorded digest, or the
// digest of its content.
func fingerprint(data []byte) string {
	if rest, ok := bytes.CutPrefix(data, []byte(redactedPrefix)); ok {
		return strings.TrimSpace(string(rest))
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func short(sum string) string {
	if len(sum) > 16 {
		return sum[:16]
	}
	return sum
}
