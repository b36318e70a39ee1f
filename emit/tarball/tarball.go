// Package tarball writes a host's bundle as a tar archive that installs it with
// `tar -xpf host.tar -C /`: paths relative to /, exact modes and numeric owners, and nothing
// that varies between runs (sorted entries, a fixed time).
//
// The archive holds the directories the bundle names (/etc/kubernetes, /var/lib/kubelet, the
// manifest and PKI directories, ...) and its files, and no entry for a parent the bundle does
// not own (/etc, /var, /var/lib, /etc/systemd/system, ...): GNU tar gives an extracted
// directory the entry's mode, owner and time even when it exists, so such entries reset a
// node's /etc to 0755 and 1970. Without them, an existing parent keeps its mode, owner and
// time (the kernel still updates the time of a directory that gains an entry, as any install
// does), and GNU tar creates a missing one itself, owned by the extracting user, with mode
// 0777 minus the umask (0755 under the usual 022; run tar under such a umask) and the current
// time. Directories the bundle names get the archive's mode, owner and time.
package tarball

import (
	"archive/tar"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"kubeforge.dev/kubeforge/emit/internal/install"
	"kubeforge.dev/kubeforge/render/artifact"
)

// ModTime is every entry's modification time: the Unix epoch, so archives of the same bundle
// are byte-identical. GNU tar warns only about times before it.
var ModTime = time.Unix(0, 0).UTC()

// Write writes the bundle to w as a tar archive. Entries are the bundle's directories and its
// files, in path order (the parents it leaves implicit are left to tar); headers are USTAR,
// or PAX for a path too long for USTAR.
func Write(w io.Writer, b artifact.Bundle) error {
	p, err := install.New(b)
	if err != nil {
		return err
	}
	entries := make([]artifact.Artifact, 0, len(p.Dirs)+len(p.Files))
	for _, d := range p.Dirs {
		if !d.Implicit {
			entries = append(entries, d.Artifact)
		}
	}
	entries = append(entries, p.Files...)
	slices.SortFunc(entries, func(x, y artifact.Artifact) int { return strings.Compare(x.Path, y.Path) })

	tw := tar.NewWriter(w)
	for _, a := range entries {
		if err := tw.WriteHeader(header(a)); err != nil {
			return fmt.Errorf("tar %s: %s: %w", b.Name, a.Path, err)
		}
		if _, err := tw.Write(a.Data); err != nil {
			return fmt.Errorf("tar %s: %s: %w", b.Name, a.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("tar %s: %w", b.Name, err)
	}
	return nil
}

// header returns the entry's header. Format is left to archive/tar, which picks USTAR unless
// a field needs PAX; both choices depend only on the artifact.
func header(a artifact.Artifact) *tar.Header {
	h := &tar.Header{
		Name:    install.Relative(a.Path),
		Mode:    int64(install.Bits(a.Mode)),
		Uid:     a.UID,
		Gid:     a.GID,
		Uname:   ownerName(a.UID),
		Gname:   ownerName(a.GID),
		ModTime: ModTime,
	}
	if a.IsDir() {
		h.Typeflag = tar.TypeDir
		h.Name += "/"
	} else {
		h.Typeflag = tar.TypeReg
		h.Size = int64(len(a.Data))
	}
	return h
}

// ownerName names id 0 "root", which tar maps to the node's root; other ids stay numeric only,
// since a name could map to another id on the node.
func ownerName(id int) string {
	if id == 0 {
		return "root"
	}
	return ""
}
