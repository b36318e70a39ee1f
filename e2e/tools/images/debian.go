package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// debianSystem is a Debian userland that mmdebstrap installs from Debian's archive: the
// packages of a variant ("essential": the Essential packages and their dependencies, configured;
// "extract": only the packages given, unpacked) plus the ones included.
type debianSystem struct {
	suite    string
	variant  string
	packages []string
}

// key names the system in the cache.
func (d debianSystem) key() string {
	pkgs := slices.Clone(d.packages)
	slices.Sort(pkgs)
	sum := sha256.Sum256([]byte(strings.Join(pkgs, ",")))
	return d.suite + "-" + d.variant + "-" + hex.EncodeToString(sum[:6])
}

// debianLayer returns a tar file of the system, made once with mmdebstrap and then cached:
// documentation, manual pages and locales left out; the package lists kept out of the image as
// apt would after a clean.
func (b *builder) debianLayer(d debianSystem) (string, error) {
	out := filepath.Join(b.workDir, "debian", d.key()+".tar")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		return "", errors.New("mmdebstrap not found (install Debian's mmdebstrap)")
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	// mmdebstrap picks its output format by the name's extension.
	tmp := strings.TrimSuffix(out, ".tar") + ".tmp.tar"
	defer os.Remove(tmp)
	args := []string{"--quiet", "--variant=" + d.variant, "--include=" + strings.Join(d.packages, ","),
		"--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*",
		"--dpkgopt=path-exclude=/usr/share/info/*", "--dpkgopt=path-exclude=/usr/share/locale/*",
		"--customize-hook=rm -rf \"$1\"/var/lib/apt/lists/* \"$1\"/var/cache/apt/*",
		d.suite, tmp}
	// A fixed SOURCE_DATE_EPOCH keeps the files' times, and so the layer, the same across builds
	// of the same packages.
	env := append(os.Environ(), "SOURCE_DATE_EPOCH=0")
	if err := runIn(filepath.Dir(out), env, append([]string{"mmdebstrap"}, args...)...); err != nil {
		return "", err
	}
	return out, os.Rename(tmp, out)
}

// tarMember returns the content of a regular file of a tar file (name without a leading "./"
// or "/").
func tarMember(tarPath, name string) ([]byte, error) {
	f, err := os.Open(tarPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s has no file %s", tarPath, name)
		}
		if err != nil {
			return nil, err
		}
		if path.Clean(strings.TrimPrefix(hdr.Name, "./")) == name && hdr.Typeflag == tar.TypeReg {
			return io.ReadAll(tr)
		}
	}
}
