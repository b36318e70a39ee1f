package pkistore

import (
	"bytes"
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"

	"kubeforge.dev/kubeforge/compiler/parallel"
	"kubeforge.dev/kubeforge/emit/internal/atomicdir"
	"kubeforge.dev/kubeforge/render/pki"
)

// Update is the next content of an open store, committed in three steps so that it can join
// the output's transaction: Stage writes it beside the store, Commit swaps it in, Rollback swaps
// the old one back; Finish removes whichever tree is left over.
type Update struct {
	h      *Handle
	next   *pki.Store
	staged string
	// old is where the previous store is after Commit ("" when there was none).
	old       string
	committed bool
}

// Update returns the change that makes the store hold next, or nil when there is nothing to
// write (the content is unchanged and the store exists).
func (h *Handle) Update(next *pki.Store) *Update {
	if h.access != Write {
		panic("pkistore: Update of a store opened for reading")
	}
	if h.existed && sameContent(h.content, next) {
		return nil
	}
	return &Update{h: h, next: next}
}

func sameContent(a, b *pki.Store) bool {
	if len(a.Files) != len(b.Files) {
		return false
	}
	for rel, f := range a.Files {
		g, ok := b.Files[rel]
		if !ok || f.Mode != g.Mode || !bytes.Equal(f.Data, g.Data) {
			return false
		}
	}
	return true
}

// Stage writes the next content, synced, into a new directory beside the store. Files that
// did not change are hard-linked from the current store rather than rewritten: the current store
// is never modified in place, and a commit that changes one certificate of a large cluster
// costs little more than that certificate.
func (u *Update) Stage() error {
	staged, err := atomicdir.Staging(u.h.dir)
	if err != nil {
		return err
	}
	u.staged = staged
	if err := u.writeTree(staged); err != nil {
		atomicdir.Discard(staged, u.h.dir)
		u.staged = ""
		return err
	}
	return nil
}

// Commit swaps the staged store in.
func (u *Update) Commit() error {
	if u.staged == "" {
		return errors.New("pkistore: Commit before Stage")
	}
	old, err := atomicdir.Exchange(u.staged, u.h.dir)
	if err != nil {
		return err
	}
	syncDir(filepath.Dir(u.h.dir))
	u.old, u.staged, u.committed = old, "", true
	return nil
}

// Rollback puts the previous store back after Commit (the output could not follow).
func (u *Update) Rollback() error {
	if !u.committed {
		return nil
	}
	if u.old == "" {
		// There was no store: the new one goes.
		u.committed = false
		return atomicdir.Discard(u.h.dir, u.h.dir)
	}
	if _, err := atomicdir.Exchange(u.old, u.h.dir); err != nil {
		return err
	}
	syncDir(filepath.Dir(u.h.dir))
	// The new content is back where the old one was: Finish removes it.
	u.committed, u.staged, u.old = false, u.old, ""
	return nil
}

// Finish removes the tree no longer needed: the old store after Commit, the staged one
// otherwise.
func (u *Update) Finish() error {
	tree := u.staged
	if u.committed {
		tree = u.old
	}
	u.staged, u.old = "", ""
	return atomicdir.Discard(tree, u.h.dir)
}

// writers is how many files are written at once.
const writers = 8

func (u *Update) writeTree(root string) error {
	if err := os.Chmod(root, pki.StoreDirMode); err != nil {
		return err
	}
	rels := make([]string, 0, len(u.next.Files))
	for rel := range u.next.Files {
		rels = append(rels, rel)
	}
	slices.Sort(rels)
	dirs := map[string]bool{root: true}
	for _, rel := range rels {
		if d := filepath.Join(root, filepath.FromSlash(path.Dir(rel))); !dirs[d] {
			if err := os.MkdirAll(d, pki.StoreDirMode); err != nil {
				return err
			}
			dirs[d] = true
		}
	}
	errs := make([]error, len(rels))
	parallel.ForWorkers(writers, len(rels), func(i int) {
		f := u.next.Files[rels[i]]
		dst := filepath.Join(root, filepath.FromSlash(rels[i]))
		if cur, ok := u.h.content.Files[rels[i]]; ok && cur.Mode == f.Mode && bytes.Equal(cur.Data, f.Data) &&
			os.Link(filepath.Join(u.h.dir, filepath.FromSlash(rels[i])), dst) == nil {
			return
		}
		errs[i] = writeFile(dst, f.Data, f.Mode)
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// The files' data and the new directory entries, the links included, are on disk before
	// Commit's rename: one flush of the file system, where a flush per file and directory waited
	// for the disk thousands of times.
	return atomicdir.SyncFS(root)
}

// writeFile creates a file with exactly mode and content.
func writeFile(p string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	// The umask may have narrowed the mode at creation.
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir flushes a directory's entries; best effort, as some file systems refuse it.
func syncDir(d string) {
	if f, err := os.Open(d); err == nil {
		f.Sync()
		f.Close()
	}
}

// Commit writes next as the store's content on its own, outside an output's transaction
// (tools and tests): Update, Stage, Commit and Finish.
func (h *Handle) Commit(next *pki.Store) error {
	u := h.Update(next)
	if u == nil {
		return nil
	}
	if err := u.Stage(); err != nil {
		return err
	}
	if err := u.Commit(); err != nil {
		u.Finish()
		return err
	}
	return u.Finish()
}
