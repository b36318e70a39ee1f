package pkistore

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/render/pki"
)

// read reads every file of the store as untrusted input and checks that no key could have been
// read by others: a private key others could read may have leaked, and kubeforge will not sign
// with it, nor hand it to nodes, without the operator deciding so.
func (h *Handle) read() error {
	var exposed []string
	err := filepath.WalkDir(h.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(h.dir, p)
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if info.Mode().Perm()&0o077 != 0 {
				name := rel + "/"
				if rel == "." {
					name = "the store directory"
				}
				exposed = append(exposed, fmt.Sprintf("%s (mode %04o, want %04o)", name, info.Mode().Perm(), pki.StoreDirMode))
			}
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link; a PKI store holds regular files only", p)
		}
		data, err := untrusted.ReadFileNoFollow(p, untrusted.StoreFileLimit)
		if err != nil {
			return err
		}
		if isKey(rel) && info.Mode().Perm()&0o077 != 0 {
			exposed = append(exposed, fmt.Sprintf("%s (mode %04o, want %04o)", rel, info.Mode().Perm(), pki.StoreKeyMode))
		}
		h.content.Files[rel] = pki.StoreFile{Data: data, Mode: info.Mode().Perm()}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading PKI store: %w", err)
	}
	if len(exposed) > 0 {
		slices.Sort(exposed)
		return fmt.Errorf("PKI store %s: refusing to use it, group or others may read:\n  %s\n"+
			"Find out who could have read the keys (rotate the CA if they leaked), then run: chmod -R go-rwx %s",
			h.dir, strings.Join(exposed, "\n  "), h.dir)
	}
	return nil
}

// isKey reports whether a store file holds a private key.
func isKey(rel string) bool { return strings.HasSuffix(rel, ".key") }
