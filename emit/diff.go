package emit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/kubeconfig"
)

// redactedPrefix starts the content that stands for a secret in a redacted output.
const redactedPrefix = "kubeforge:redacted sha256:"

// Redact replaces every secret's content with its fingerprint, so that an output can be
// committed as a golden tree without key material and still be diffed. A kubeconfig keeps
// everything but its key (server, user, certificates), so that a diff without the PKI store
// can still judge it.
func Redact(b artifact.Bundle) artifact.Bundle {
	out := artifact.Bundle{Name: b.Name, Artifacts: slices.Clone(b.Artifacts)}
	for i, a := range out.Artifacts {
		if a.Secret && !a.IsDir() {
			out.Artifacts[i].Data = redaction(a)
		}
	}
	return out
}

// redaction returns what a redacted output holds in place of a secret: the fingerprint, or a
// kubeconfig whose keys are the fingerprint of the whole file.
func redaction(a artifact.Artifact) []byte {
	marker := []byte(redactedPrefix + a.SHA256() + "\n")
	k, ok := kubeconfig.Parse(a.Data)
	if !ok {
		return marker
	}
	for i := range k.Users {
		if len(k.Users[i].User.ClientKeyData) > 0 {
			k.Users[i].User.ClientKeyData = marker
		}
	}
	data, err := k.Marshal()
	if err != nil {
		return marker
	}
	return data
}

// redactedKubeconfigDigest returns the fingerprint a redacted kubeconfig records in place of
// its keys: every key must be the same exact marker.
func redactedKubeconfigDigest(data []byte) (string, bool) {
	k, ok := kubeconfig.Parse(data)
	if !ok {
		return "", false
	}
	sum := ""
	for _, u := range k.Users {
		if len(u.User.ClientKeyData) == 0 {
			continue
		}
		rest, ok := bytes.CutPrefix(u.User.ClientKeyData, []byte(redactedPrefix))
		if !ok {
			return "", false
		}
		s, ok := bytes.CutSuffix(rest, []byte("\n"))
		if !ok || !isHexDigest(string(s)) || (sum != "" && sum != string(s)) {
			return "", false
		}
		sum = string(s)
	}
	return sum, sum != ""
}

// ChangeKind says how a file of the compared output differs from the compile.
type ChangeKind string

const (
	// Added: compiled, not in the compared output.
	Added ChangeKind = "added"
	// Removed: in the compared output, no longer compiled.
	Removed ChangeKind = "removed"
	// Changed: in both, with other content, type, mode or owner.
	Changed ChangeKind = "changed"
)

// Change is one difference between a compiled bundle and an output directory.
type Change struct {
	Bundle string     `json:"bundle"`
	Path   string     `json:"path"`
	Kind   ChangeKind `json:"kind"`
	// Detail says what changed: a unified diff for text, fingerprints for secrets, key
	// material and binary files, the modes and owners, or why a file was not read. It never
	// holds private key material.
	Detail string `json:"detail,omitempty"`
}

// String returns "KIND BUNDLE:PATH", the path quoted when it holds characters that could
// disguise the line (a tree's names are untrusted).
func (c Change) String() string {
	return fmt.Sprintf("%s %s:%s", c.Kind, c.Bundle, printablePath(c.Path))
}

func printablePath(p string) string {
	if utf8.ValidString(p) && !strings.ContainsFunc(p, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return p
	}
	return strconv.Quote(p)
}

// DiffOptions says how Diff reads the output it compares with.
type DiffOptions struct {
	// StrictModes compares the modes and owners of the files on disk as well as those the
	// host manifests record: for a tree copied from a node (or unpacked from a tarball as
	// root), whose metadata is real. A git checkout keeps neither (no 0600, no 0700, the
	// cloner's owner), so by default a tree with manifests is judged by its manifests.
	StrictModes bool
	// Reasons explain, per bundle and path, why a file differs when the diff knows better than
	// its bytes: a certificate a compile with the PKI store would re-issue (CompileResult's
	// WouldChange).
	Reasons map[string]map[string]string
}

// Diff compares compiled bundles with an output directory written by Write (or a golden tree)
// with the default options.
func Diff(dir string, bundles []artifact.Bundle) ([]Change, error) {
	return DiffWithOptions(dir, bundles, DiffOptions{})
}

// DiffWithOptions compares compiled bundles with an output directory written by Write (or a
// golden tree), bundle by bundle; only the named bundles are compared.
//
// A bundle is read from its tree (DIR/NAME/) and its manifest (DIR/NAME.manifest.json), each
// of which may be missing:
//   - contents come from the tree; without a tree (an output written without the dir format:
//     only tarballs, cloud-init, Ansible or Ignition) from the manifest's digests, so a
//     changed file is named with its fingerprints rather than its lines;
//   - modes and owners come from the manifest, which survives git; a file the manifest does
//     not list is judged by its mode on disk (owners then go unchecked);
//   - with neither, every compiled file is added.
//
// Nothing in the tree is trusted: links, FIFOs, devices and oversized files are reported as
// changes and never opened, and no private key material is ever put in a Detail.
func DiffWithOptions(dir string, bundles []artifact.Bundle, opts DiffOptions) ([]Change, error) {
	var changes []Change
	for _, b := range bundles {
		cs, err := diffBundle(dir, b, opts)
		if err != nil {
			return nil, err
		}
		changes = append(changes, cs...)
	}
	return changes, nil
}

// compared is what is known of one bundle of the compared output.
type compared struct {
	bundle       string
	tree         tree
	haveTree     bool
	manifest     map[string]recorded
	haveManifest bool
	compiled     map[string]artifact.Artifact
	opts         DiffOptions
}

func diffBundle(dir string, b artifact.Bundle, opts DiffOptions) ([]Change, error) {
	t, haveTree, err := readTree(filepath.Join(dir, b.Name))
	if err != nil {
		return nil, err
	}
	m, haveManifest, err := readManifest(filepath.Join(dir, ManifestFile(b.Name)), b.Name)
	if err != nil {
		return nil, err
	}
	c := compared{bundle: b.Name, tree: t, haveTree: haveTree, manifest: m, haveManifest: haveManifest,
		compiled: make(map[string]artifact.Artifact, len(b.Artifacts)), opts: opts}
	var changes []Change
	if root, ok := t["/"]; ok {
		// The bundle's directory is a link or a file: reported, and nothing read through it.
		changes = append(changes, Change{Bundle: b.Name, Path: "/", Kind: Changed, Detail: "the bundle's directory " + root.Problem})
		c.tree, c.haveTree = nil, false
	}
	paths := map[string]bool{}
	for _, a := range b.Artifacts {
		c.compiled[a.Path] = a
		paths[a.Path] = true
	}
	for p := range c.manifest {
		paths[p] = true
	}
	for p := range c.tree {
		paths[p] = true
	}
	sorted := make([]string, 0, len(paths))
	for p := range paths {
		sorted = append(sorted, p)
	}
	slices.Sort(sorted)
	for _, p := range sorted {
		ch, differs, err := c.compare(p)
		if err != nil {
			return nil, err
		}
		if differs {
			changes = append(changes, ch)
		}
	}
	return changes, nil
}

// compare returns how the output's entry at p differs from the compiled one.
func (c compared) compare(p string) (Change, bool, error) {
	a, isCompiled := c.compiled[p]
	e, onDisk := c.tree[p]
	r, listed := c.manifest[p]
	// Git keeps no empty directory, so a listed directory missing from a checkout is there.
	present := onDisk || (listed && (!c.haveTree || r.Type == "directory"))
	ch := Change{Bundle: c.bundle, Path: p}
	switch {
	case !isCompiled && !present && !listed:
		return ch, false, nil
	case !isCompiled:
		// Parent directories no artifact names are the layout, not part of the bundle.
		if onDisk && e.isDir() && !listed && c.holdsBelow(p) {
			return ch, false, nil
		}
		ch.Kind, ch.Detail = Removed, e.Problem
		if !present {
			ch.Detail = "listed in " + ManifestFile(c.bundle) + " but missing from the tree"
		}
		return ch, true, nil
	case !present:
		ch.Kind, ch.Detail = Added, describe(a)
		if listed {
			ch.Detail += "; listed in " + ManifestFile(c.bundle) + " but missing from the tree"
		}
		return ch, true, nil
	}
	ch.Kind = Changed
	if onDisk && e.Problem != "" {
		ch.Detail = e.Problem
		return ch, true, nil
	}
	if (onDisk && e.isDir() != a.IsDir()) || (listed && (r.Type == "directory") != a.IsDir()) {
		ch.Detail = fmt.Sprintf("was a %s, now a %s", kindOf(!a.IsDir()), kindOf(a.IsDir()))
		return ch, true, nil
	}
	details := c.metadata(a, e, onDisk, r, listed)
	if why, ok := c.opts.Reasons[c.bundle][p]; ok {
		// The compiled content is a stand-in: only the reason means something.
		details = append(details, why)
	} else if !a.IsDir() {
		d, err := c.content(a, e, onDisk, r, listed)
		if err != nil {
			return ch, false, err
		}
		details = append(details, d...)
	}
	ch.Detail = strings.Join(details, "\n")
	return ch, len(details) > 0, nil
}

// holdsBelow reports whether something compiled or listed lies below the directory p.
func (c compared) holdsBelow(p string) bool {
	for q := range c.compiled {
		if strings.HasPrefix(q, p+"/") {
			return true
		}
	}
	for q := range c.manifest {
		if strings.HasPrefix(q, p+"/") {
			return true
		}
	}
	return false
}

// metadata compares modes and owners: the manifest's where it lists the path, else the mode on
// disk; with StrictModes the disk's too.
func (c compared) metadata(a artifact.Artifact, e treeEntry, onDisk bool, r recorded, listed bool) []string {
	var out []string
	want := a.Mode.Perm()
	switch {
	case listed:
		if r.Perm != want {
			out = append(out, fmt.Sprintf("mode %04o -> %04o", r.Perm, want))
		}
		if r.UID != a.UID || r.GID != a.GID {
			out = append(out, fmt.Sprintf("owner %d:%d -> %d:%d", r.UID, r.GID, a.UID, a.GID))
		}
	case onDisk && e.Mode.Perm() != want:
		out = append(out, fmt.Sprintf("mode %04o -> %04o", e.Mode.Perm(), want))
	}
	if c.haveManifest && !listed {
		out = append(out, "not listed in "+ManifestFile(c.bundle))
	}
	if c.opts.StrictModes && onDisk {
		if listed && e.Mode.Perm() != want {
			out = append(out, fmt.Sprintf("mode on disk %04o -> %04o", e.Mode.Perm(), want))
		}
		if e.UID != a.UID || e.GID != a.GID {
			out = append(out, fmt.Sprintf("owner on disk %d:%d -> %d:%d", e.UID, e.GID, a.UID, a.GID))
		}
	}
	return out
}

// content compares a file's content: the bytes on disk, or without a tree the manifest's
// digest.
func (c compared) content(a artifact.Artifact, e treeEntry, onDisk bool, r recorded, listed bool) ([]string, error) {
	if a.Unknown {
		return c.unknownContent(a, e, onDisk)
	}
	if !onDisk {
		if recordsDigestOf(r, a) {
			return nil, nil
		}
		return []string{fingerprints(a, r.SHA256, a.Secret)}, nil
	}
	old, err := e.read()
	if err != nil {
		var fe *untrusted.FileError
		if errors.As(err, &fe) {
			// Changed between the walk and the read: reported like the walk would have.
			return []string{fe.Reason}, nil
		}
		return nil, err
	}
	if d, changed := contentDiff(a, old); changed {
		return []string{d}, nil
	}
	if listed && !recordsDigestOf(r, a) {
		return []string{fmt.Sprintf("%s records sha256:%s, the compile sha256:%s", ManifestFile(c.bundle), short(r.SHA256), short(a.SHA256()))}, nil
	}
	return nil, nil
}

// recordsDigestOf reports whether a manifest entry records a's content, or for a secret the
// content a redacted output holds in its place.
func recordsDigestOf(r recorded, a artifact.Artifact) bool {
	if r.SHA256 == a.SHA256() {
		return true
	}
	sum := sha256.Sum256(redaction(a))
	return a.Secret && r.SHA256 == hex.EncodeToString(sum[:])
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

func kindOf(dir bool) string {
	if dir {
		return "directory"
	}
	return "file"
}

// contentDiff compares content: secrets and anything holding key material by fingerprint (a
// redacted file stands for its fingerprint), text by unified diff, other bytes by digest.
func contentDiff(a artifact.Artifact, old []byte) (string, bool) {
	oldSum := fingerprint(old, a.Secret)
	if oldSum == a.SHA256() {
		return "", false
	}
	// A key planted in the tree (through a hard link, or under a harmless name) is shown by
	// fingerprint like a secret.
	if a.Secret || untrusted.ContainsPrivateKey(old) || untrusted.ContainsPrivateKey(a.Data) {
		return fingerprints(a, oldSum, true), true
	}
	if isText(old) && isText(a.Data) {
		if d, ok := unifiedDiff("a"+a.Path, "b"+a.Path, old, a.Data); ok {
			return d, true
		}
	}
	return fingerprints(a, oldSum, false), true
}

// fingerprints describes a content change by digests.
func fingerprints(a artifact.Artifact, oldSum string, secret bool) string {
	s := fmt.Sprintf("sha256:%s -> sha256:%s", short(oldSum), short(a.SHA256()))
	if secret {
		return "secret " + s
	}
	return s
}

// fingerprint returns the digest a file stands for: for a secret, a redacted file's recorded
// digest; otherwise the digest of its content. Only an exact redaction counts, so that a
// tree cannot have text of its choice shown as a digest.
func fingerprint(data []byte, secret bool) string {
	if rest, ok := bytes.CutPrefix(data, []byte(redactedPrefix)); ok && secret {
		if sum, ok := bytes.CutSuffix(rest, []byte("\n")); ok && isHexDigest(string(sum)) {
			return string(sum)
		}
	}
	if sum, ok := redactedKubeconfigDigest(data); ok && secret {
		return sum
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func isHexDigest(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}

// isText reports whether data can be shown line by line: UTF-8 without control characters
// other than tab, line and page breaks, which could otherwise drive the terminal showing it.
func isText(data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	return !bytes.ContainsFunc(data, func(r rune) bool {
		return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' && r != '\f'
	})
}

func short(sum string) string {
	if len(sum) > 16 {
		return sum[:16]
	}
	return sum
}

// unknownContent compares a secret whose content the compile does not know (a diff without
// the PKI store): a key is unchanged when the tree holds it; a kubeconfig when it says the
// same but for its key.
func (c compared) unknownContent(a artifact.Artifact, e treeEntry, onDisk bool) ([]string, error) {
	if !onDisk || len(a.Data) == 0 {
		return nil, nil
	}
	old, err := e.read()
	if err != nil {
		var fe *untrusted.FileError
		if errors.As(err, &fe) {
			return []string{fe.Reason}, nil
		}
		return nil, err
	}
	was, now := withoutKeys(old), withoutKeys(a.Data)
	if was == nil {
		return []string{"not a kubeconfig"}, nil
	}
	if bytes.Equal(was, now) {
		return nil, nil
	}
	if d, ok := unifiedDiff("a"+a.Path, "b"+a.Path, was, now); ok {
		return []string{"(keys left out)\n" + d}, nil
	}
	return []string{"changed (keys left out)"}, nil
}

// withoutKeys returns a kubeconfig with its client keys removed, nil when data is not one.
func withoutKeys(data []byte) []byte {
	k, ok := kubeconfig.Parse(data)
	if !ok {
		return nil
	}
	for i := range k.Users {
		k.Users[i].User.ClientKeyData = nil
	}
	out, err := k.Marshal()
	if err != nil {
		return nil
	}
	return out
}
