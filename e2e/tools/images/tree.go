package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// entry is one file of an image's filesystem.
type entry struct {
	mode   fs.FileMode // type bits and permissions
	src    string      // a regular file's content, read from this machine
	data   []byte      // or given inline
	target string      // a symlink's target
}

// tree is an image's filesystem, built from files of this machine and inline files, written as
// one layer. Paths are absolute and clean; parents are added as directories.
type tree struct {
	entries map[string]entry
}

func newTree() *tree { return &tree{entries: map[string]entry{}} }

// dir adds a directory with its parents.
func (t *tree) dir(p string, perm fs.FileMode) {
	p = path.Clean(p)
	if p == "/" {
		return
	}
	t.dir(path.Dir(p), 0o755)
	if _, ok := t.entries[p]; !ok {
		t.entries[p] = entry{mode: fs.ModeDir | perm}
	}
}

// inline adds a file with the given content.
func (t *tree) inline(p string, perm fs.FileMode, data []byte) {
	t.dir(path.Dir(p), 0o755)
	t.entries[path.Clean(p)] = entry{mode: perm, data: data}
}

// copyFile adds a regular file of this machine at another path of the image.
func (t *tree) copyFile(src, dst string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", src)
	}
	t.dir(path.Dir(dst), 0o755)
	t.entries[path.Clean(dst)] = entry{mode: fi.Mode().Perm(), src: src}
	return nil
}

// symlink adds a symbolic link.
func (t *tree) symlink(p, target string) {
	t.dir(path.Dir(p), 0o755)
	t.entries[path.Clean(p)] = entry{mode: fs.ModeSymlink | 0o777, target: target}
}

// hostPath adds a path of this machine at the same path in the image, as this machine has it:
// every symbolic link on the way (such as /lib -> usr/lib, or Debian's alternatives) is kept
// as a link and followed, so that the image resolves the path the same way.
func (t *tree) hostPath(p string) error {
	return t.hostPathDepth(p, 0)
}

func (t *tree) hostPathDepth(p string, depth int) error {
	if depth > 40 {
		return fmt.Errorf("%s: too many levels of symbolic links", p)
	}
	parts := strings.Split(strings.Trim(path.Clean(p), "/"), "/")
	cur := "/"
	for i, part := range parts {
		next := path.Join(cur, part)
		fi, err := os.Lstat(next)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(next)
			if err != nil {
				return err
			}
			t.symlink(next, target)
			if !path.IsAbs(target) {
				target = path.Join(cur, target)
			}
			return t.hostPathDepth(path.Join(append([]string{target}, parts[i+1:]...)...), depth+1)
		case fi.IsDir():
			t.dir(next, fi.Mode().Perm())
			cur = next
		case fi.Mode().IsRegular() && i == len(parts)-1:
			t.entries[next] = entry{mode: fi.Mode().Perm(), src: next}
		default:
			return fmt.Errorf("%s: neither a directory, a regular file nor a symbolic link", next)
		}
	}
	return nil
}

// lddPath matches the library paths ldd prints: "libc.so.6 => /lib/.../libc.so.6 (0x...)" and
// "/lib64/ld-linux-x86-64.so.2 (0x...)".
var lddPath = regexp.MustCompile(`(?m)^\s*(?:\S+ => )?(/\S+) \(0x[0-9a-f]+\)$`)

// program adds an executable of this machine and every shared library it loads (ldd prints
// the whole closure), each at its own path.
func (t *tree) program(p string) error {
	if err := t.hostPath(p); err != nil {
		return err
	}
	return t.librariesOf(p)
}

// librariesOf adds the shared libraries ldd lists for a program or library; a static program
// has none.
func (t *tree) librariesOf(p string) error {
	out, err := exec.Command("ldd", p).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "not a dynamic executable") || strings.Contains(string(out), "statically linked") {
			return nil
		}
		return fmt.Errorf("ldd %s: %v: %s", p, err, out)
	}
	if strings.Contains(string(out), "not found") {
		return fmt.Errorf("ldd %s: a library is missing:\n%s", p, out)
	}
	for _, m := range lddPath.FindAllStringSubmatch(string(out), -1) {
		if err := t.hostPath(m[1]); err != nil {
			return fmt.Errorf("library of %s: %w", p, err)
		}
	}
	return nil
}

// base adds what every image has: root's and nobody's accounts, /tmp, and name service
// settings that look at files before DNS (as distroless images have them).
func (t *tree) base() {
	t.inline("/etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"))
	t.inline("/etc/group", 0o644, []byte("root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"))
	t.inline("/etc/nsswitch.conf", 0o644, []byte("hosts: files dns\n"))
	t.dir("/root", 0o700)
	t.dir("/tmp", 0o777|fs.ModeSticky)
}

// epoch is every entry's modification time, so that the same files give the same layer digest.
var epoch = time.Unix(0, 0).UTC()

// writeTar writes the tree as a tar layer: sorted, owned by root, with fixed times.
func (t *tree) writeTar(w io.Writer) error {
	names := make([]string, 0, len(t.entries))
	for n := range t.entries {
		names = append(names, n)
	}
	slices.Sort(names)
	tw := tar.NewWriter(w)
	for _, n := range names {
		e := t.entries[n]
		hdr := &tar.Header{Name: strings.TrimPrefix(n, "/"), Mode: int64(e.mode.Perm()), ModTime: epoch, Format: tar.FormatPAX}
		if e.mode&fs.ModeSticky != 0 {
			hdr.Mode |= 0o1000
		}
		var body io.Reader
		switch {
		case e.mode.IsDir():
			hdr.Typeflag, hdr.Name = tar.TypeDir, hdr.Name+"/"
		case e.mode&fs.ModeSymlink != 0:
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, e.target
		case e.src != "":
			data, err := os.ReadFile(e.src)
			if err != nil {
				return err
			}
			hdr.Typeflag, hdr.Size, body = tar.TypeReg, int64(len(data)), bytes.NewReader(data)
		default:
			hdr.Typeflag, hdr.Size, body = tar.TypeReg, int64(len(e.data)), bytes.NewReader(e.data)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if body != nil {
			if _, err := io.Copy(tw, body); err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
		}
	}
	return tw.Close()
}

// writeTarFile writes the tree as a tar file at p.
func (t *tree) writeTarFile(p string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if err := t.writeTar(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
