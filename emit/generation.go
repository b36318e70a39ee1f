package emit

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"

	"kubeforge.dev/kubeforge/compiler/parallel"
	"kubeforge.dev/kubeforge/emit/internal/atomicdir"
	"kubeforge.dev/kubeforge/render/artifact"
)

// generation is the output a compile is producing, beside the live one (the previous
// generation). What the live output already holds is kept; only what differs is written, to a
// staging directory made on the first write. When nothing differs, no staging directory is
// made and the live output is left alone, its files' times included. When something does, the
// kept files are hard-linked from the live output into the staging directory (a link shares
// the inode: content, mode and times stay) and the staging directory is swapped in as a whole,
// as a fresh compile's is.
type generation struct {
	dir  string
	live *liveOutput // nil when nothing of dir may be kept
	// manifests are the bundles' manifests as this compile writes them, by bundle name.
	manifests map[string][]byte

	mu      sync.Mutex
	staged  string
	mask    fs.FileMode
	written bool                // something differs from the live output
	kept    []string            // files (relative to the output) identical in the live output
	trees   []keptTree          // bundle trees identical in the live output
	same    map[string]struct{} // the kept files and trees, for the check for extra live entries
}

// keptTree is a bundle's tree the live output holds as the generation wants it.
type keptTree struct {
	name    string
	entries []indexEntry
}

// newGeneration starts a generation of the output dir; live is nil for a compile that must
// write everything (no previous output, or a partial compile, whose staging is moved in entry
// by entry).
func newGeneration(dir string, live *liveOutput) *generation {
	return &generation{dir: dir, live: live, same: map[string]struct{}{}}
}

// stage returns the staging directory, making it on the first call.
func (g *generation) stage() (string, fs.FileMode, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.written = true
	if g.staged == "" {
		staged, err := atomicdir.Staging(g.dir)
		if err != nil {
			return "", 0, err
		}
		g.staged, g.mask = staged, creationMask(staged)
	}
	return g.staged, g.mask, nil
}

// keep records a file or tree the live output already holds as the generation wants it.
func (g *generation) keep(rel string, tree *keptTree) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if tree != nil {
		g.trees = append(g.trees, *tree)
	} else {
		g.kept = append(g.kept, rel)
	}
	g.same[rel] = struct{}{}
}

// putFile gives the generation a file at rel (relative to the output) with exactly mode.
func (g *generation) putFile(rel string, data []byte, mode fs.FileMode) error {
	if g.live != nil && g.live.holdsFile(rel, data, mode) {
		g.keep(rel, nil)
		return nil
	}
	root, _, err := g.stage()
	if err != nil {
		return err
	}
	return writeFile(root, rel, data, mode)
}

// putTree gives the generation a bundle's tree at OUT/<name>/. manifest is the bundle's
// manifest as this compile writes it: the live tree is kept when the live output's manifest
// says the same and the tree still matches it (see liveOutput.holdsTree).
func (g *generation) putTree(b artifact.Bundle, manifest []byte) error {
	if g.live != nil && g.live.holdsFile(ManifestFile(b.Name), manifest, 0o644) {
		if entries, ok := entriesOf(b); ok && g.live.holdsTree(b.Name, entries) {
			g.keep(b.Name, &keptTree{name: b.Name, entries: entries})
			return nil
		}
	}
	root, mask, err := g.stage()
	if err != nil {
		return err
	}
	return writeTree(filepath.Join(root, b.Name), b, mask)
}

// finish completes the generation once every file and tree was put. It returns the staging
// directory to swap in, complete and on disk, or "" when the live output already is the
// generation: nothing differed and the live output holds nothing more.
func (g *generation) finish() (string, error) {
	if !g.written && g.live != nil && !g.live.holdsMore(g.same) {
		// The compile that wrote the live output made it durable before swapping it in.
		return "", nil
	}
	root, mask, err := g.stage()
	if err != nil {
		return "", err
	}
	if err := g.linkKept(root, mask); err != nil {
		return "", err
	}
	testPoint("kept linked")
	// The marker is written last: its time is the generation's, later than every file the
	// generation wrote (see liveOutput.holdsTree).
	if err := os.WriteFile(filepath.Join(root, markerName), []byte(markerText), 0o644); err != nil {
		return "", err
	}
	if err := os.Chmod(root, 0o755); err != nil {
		return "", err
	}
	return root, atomicdir.SyncFS(root)
}

// linkKept links the kept files and trees from the live output into root.
func (g *generation) linkKept(root string, mask fs.FileMode) error {
	if err := parallel.ForErr(len(g.kept), func(i int) error {
		rel := g.kept[i]
		if err := mkdirs(root, filepath.Dir(rel), map[string]bool{}, mask); err != nil {
			return err
		}
		return linkOrCopy(filepath.Join(g.live.dir, rel), filepath.Join(root, rel))
	}); err != nil {
		return err
	}
	return parallel.ForErr(len(g.trees), func(i int) error {
		t := g.trees[i]
		return linkTree(filepath.Join(g.live.dir, t.name), filepath.Join(root, t.name), t.entries, mask)
	})
}

// discard removes the staging directory, if one was made.
func (g *generation) discard() {
	if g.staged != "" {
		atomicdir.Discard(g.staged, g.dir)
	}
}

// markerText is the content of the output's marker file.
const markerText = "kubeforge output; replaced as a whole by each compile\n"

// linkTree lays a bundle's entries out under root, as writeTree does, with each file a hard
// link to the same file under from, a tree known to hold exactly them (liveOutput.holdsTree).
func linkTree(from, root string, entries []indexEntry, mask fs.FileMode) error {
	made := map[string]bool{}
	for _, e := range entries {
		rel := e.rel
		if err := mkdirs(root, filepath.Dir(rel), made, mask); err != nil {
			return err
		}
		p := filepath.Join(root, rel)
		if e.dir {
			if err := makeDir(p, fs.FileMode(e.perm), mask); err != nil {
				return err
			}
			continue
		}
		if err := linkOrCopy(filepath.Join(from, rel), p); err != nil {
			return err
		}
	}
	return nil
}

// linkOrCopy makes to the same file as from: a hard link, or a copy with the same mode on a file
// system without them.
func linkOrCopy(from, to string) error {
	err := os.Link(from, to)
	if !errors.Is(err, unix.EPERM) && !errors.Is(err, unix.EOPNOTSUPP) && !errors.Is(err, unix.EMLINK) {
		return err
	}
	fi, err := os.Lstat(from)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.WriteFile(to, data, fi.Mode().Perm()); err != nil {
		return err
	}
	return os.Chmod(to, fi.Mode().Perm())
}

// liveOutput is the previous generation of an output: a directory kubeforge wrote, read to
// find what a compile need not write again.
type liveOutput struct {
	dir string
	// stamp is the modification time of the output's marker, written after every other file
	// of its generation.
	stamp unix.Timespec
	// ino is the marker's inode: a new generation has a new marker.
	ino uint64
	// uid owns the files this process creates: a file of another owner is not what a fresh
	// write makes.
	uid uint32
}

// openLive returns the live output at dir, or nil when there is none to keep anything of: no
// directory, no marker (an empty directory), or a root whose mode a compile would change.
func openLive(dir string) *liveOutput {
	var root, marker unix.Stat_t
	if unix.Lstat(dir, &root) != nil || root.Mode&unix.S_IFMT != unix.S_IFDIR || root.Mode&0o7777 != 0o755 {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(dir, markerName))
	if err != nil || string(data) != markerText || unix.Lstat(filepath.Join(dir, markerName), &marker) != nil {
		return nil
	}
	return &liveOutput{dir: dir, stamp: marker.Mtim, ino: marker.Ino, uid: uint32(os.Geteuid())}
}

// holdsFile reports whether the live output has, at rel, a regular file of this process's owner
// with exactly data and mode. The files compared this way (manifests, format files) are read whole.
func (l *liveOutput) holdsFile(rel string, data []byte, mode fs.FileMode) bool {
	p := filepath.Join(l.dir, rel)
	var st unix.Stat_t
	if unix.Lstat(p, &st) != nil || st.Uid != l.uid || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Mode&0o7777 != uint32(mode.Perm()) || st.Size != int64(len(data)) {
		return false
	}
	got, err := os.ReadFile(p)
	return err == nil && bytes.Equal(got, data)
}

// holdsStat reports, by its status only, whether the live output has at rel the 0644 file of
// size its generation wrote: a regular file of this process's owner not modified after the
// marker (see holdsTree).
func (l *liveOutput) holdsStat(rel string, size int64) bool {
	var st unix.Stat_t
	return unix.Lstat(filepath.Join(l.dir, rel), &st) == nil && st.Uid == l.uid &&
		liveEntry{perm: 0o644, size: size}.matches(&st, l.stamp)
}

// holdsTree reports whether the live tree OUT/<name>/ still is what its generation wrote, the
// entries, by their status, without reading the files or the directories: each entry and
// parent directory of its type, mode and owner, each file of its size, and each file and
// directory modified no later than the marker. The contents were those the live manifest lists
// (the caller compared it with the bundle's, or the content index recorded it). Writing to a
// file (an operator's edit, a restore from a backup) moves its modification time past the
// marker's, and adding, removing or renaming an entry moves its directory's, so that such a
// change makes the compile write the bundle again. Only a change that sets the time back on
// purpose (touch -d) goes unnoticed.
func (l *liveOutput) holdsTree(name string, entries []indexEntry) bool {
	root := filepath.Join(l.dir, name)
	for rel, w := range treeEntries(entries) {
		var st unix.Stat_t
		if unix.Lstat(filepath.Join(root, rel), &st) != nil || st.Uid != l.uid || !w.matches(&st, l.stamp) {
			return false
		}
	}
	return true
}

// liveEntry is what one entry of a bundle's tree is on disk.
type liveEntry struct {
	dir  bool
	perm uint32
	size int64
}

func (w liveEntry) matches(st *unix.Stat_t, stamp unix.Timespec) bool {
	if after(st.Mtim, stamp) || st.Mode&0o7777 != w.perm {
		return false
	}
	if w.dir {
		return st.Mode&unix.S_IFMT == unix.S_IFDIR
	}
	return st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size == w.size
}

// after reports whether time a is later than b.
func after(a, b unix.Timespec) bool {
	return a.Sec > b.Sec || a.Sec == b.Sec && a.Nsec > b.Nsec
}

// treeEntries returns what writeTree makes for a bundle's entries, by path relative to the
// bundle's root ("." is the root): the entries and their parent directories.
func treeEntries(entries []indexEntry) map[string]liveEntry {
	want := make(map[string]liveEntry, len(entries)+8)
	want["."] = liveEntry{dir: true, perm: 0o755}
	for _, e := range entries {
		for d := filepath.Dir(e.rel); d != "."; d = filepath.Dir(d) {
			if _, ok := want[d]; !ok {
				want[d] = liveEntry{dir: true, perm: 0o755}
			}
		}
		want[e.rel] = liveEntry{dir: e.dir, perm: e.perm, size: e.size}
	}
	return want
}

// holdsMore reports whether the live output has an entry besides the marker and the files and
// trees in same (and the directories holding them): what the generation would remove.
func (l *liveOutput) holdsMore(same map[string]struct{}) bool {
	parents := map[string]bool{}
	for rel := range same {
		for d := filepath.Dir(rel); d != "."; d = filepath.Dir(d) {
			parents[d] = true
		}
	}
	err := filepath.WalkDir(l.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(l.dir, p)
		if _, ok := same[rel]; ok {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case rel == "." || rel == markerName:
			return nil
		case parents[rel] && d.IsDir():
			if fi, err := d.Info(); err != nil || fi.Mode().Perm() != 0o755 || fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
				return fs.ErrInvalid
			}
			return nil
		}
		return fs.ErrInvalid
	})
	return err != nil
}
