// Package pkicheck reads what `kubeforge pki check` checks from disk: a PKI store, a compiled
// output or a host tree. Reading stays here, at the edge; render/pki checks what it is given.
// Files are read as untrusted input: regular files of at most untrusted.StoreFileLimit, no
// symbolic link followed inside the checked directory (a link is a problem of its row).
package pkicheck

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/pki"
)

// Report is what `pki check` lists of a store or a bundle, each tree walked once.
type Report struct {
	Certificates []pki.CertStatus `json:"certificates"`
	// Encryption holds the store's encryption keys, or each control-plane host's
	// EncryptionConfiguration: keys by fingerprint, which writes, the rotation stage.
	Encryption []pki.EncryptionStatus `json:"encryption"`
}

// Store returns every certificate of the PKI store at dir, sorted by file (see
// pki.CheckStoreFiles), and its encryption keys with the stage of the last compile's key list
// (none when the store holds no encryption key).
func Store(dir string, now time.Time) (Report, error) {
	root, err := checkedRoot(dir)
	if err != nil {
		return Report{}, err
	}
	in, err := readInput(root)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Certificates: pki.CheckStoreFiles(in, now)}
	if st := pki.CheckStoreEncryption(in); st != nil {
		rep.Encryption = []pki.EncryptionStatus{*st}
	}
	return rep, nil
}

// Bundle returns every certificate of a compiled output or of one host's tree at dir, sorted
// by file, each once, checked against the CAs of its own host tree; and the
// EncryptionConfiguration of each host tree, in host order (control-plane hosts have one,
// others none).
//
// In an output (a directory with HOST.manifest.json files), the hosts are those the
// manifests name and their certificates are read from the host trees: the copies inside the
// delivery formats (tar, cloud-init, ansible, ignition) are not listed again. A host whose
// manifest lists certificates but whose tree is absent (an output written without the dir
// format) gets one failing row per certificate. Without manifests, dir is one host's tree when
// it has etc/ or var/ at its top, and otherwise every subdirectory that does is a host tree.
func Bundle(dir string, now time.Time) (Report, error) {
	root, err := checkedRoot(dir)
	if err != nil {
		return Report{}, err
	}
	hosts, manifested, err := bundleHosts(root)
	if err != nil {
		return Report{}, err
	}
	var rep Report
	// add checks one host's tree (host "" when dir is the tree).
	add := func(tree, host string) error {
		in, err := readInput(tree)
		if err != nil {
			return err
		}
		rep.Certificates = append(rep.Certificates, pki.CheckTreeFiles(in, host, now)...)
		if st := pki.CheckTreeEncryption(in, host); st != nil {
			rep.Encryption = append(rep.Encryption, *st)
		}
		return nil
	}
	if hosts == nil {
		if !isHostTree(root) {
			return Report{}, fmt.Errorf("%s holds no host tree: neither HOST%s files nor etc/ or var/", dir, compiler.ManifestSuffix)
		}
		return rep, add(root, "")
	}
	for _, h := range hosts {
		tree := filepath.Join(root, h)
		fi, err := os.Lstat(tree)
		switch {
		case errors.Is(err, fs.ErrNotExist) && manifested:
			rows, err := unreadHost(root, h)
			if err != nil {
				return Report{}, err
			}
			rep.Certificates = append(rep.Certificates, rows...)
			continue
		case err != nil:
			return Report{}, err
		case !fi.IsDir():
			rep.Certificates = append(rep.Certificates, pki.CertStatus{Host: h, File: h, Problems: []string{"the host's tree " + entryProblem(fi)}})
			continue
		}
		if err := add(tree, h); err != nil {
			return Report{}, err
		}
	}
	slices.SortStableFunc(rep.Certificates, func(a, b pki.CertStatus) int { return strings.Compare(a.File, b.File) })
	return rep, nil
}

// checkedRoot returns dir with the links of the path the user gave resolved (only those: no
// link inside is followed), refusing what is not a directory.
func checkedRoot(dir string) (string, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(root)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s is not a directory", dir)
	}
	return root, nil
}

// bundleHosts returns the host trees of an output, sorted: the bundles its manifests name
// (manifested), or else its subdirectories holding etc/ or var/; nil when there are none (root
// may be a host tree itself).
func bundleHosts(root string) (hosts []string, manifested bool, err error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, false, err
	}
	for _, e := range entries {
		if h, ok := strings.CutSuffix(e.Name(), compiler.ManifestSuffix); ok && e.Type().IsRegular() && h != artifact.ClusterBundle {
			hosts = append(hosts, h)
		}
	}
	if hosts != nil || isHostTree(root) {
		return hosts, hosts != nil, nil
	}
	for _, e := range entries {
		if e.IsDir() && isHostTree(filepath.Join(root, e.Name())) {
			hosts = append(hosts, e.Name())
		}
	}
	return hosts, false, nil
}

// isHostTree reports whether dir holds a node's files: etc/ or var/ at its top.
func isHostTree(dir string) bool {
	for _, top := range []string{"etc", "var"} {
		if fi, err := os.Lstat(filepath.Join(dir, top)); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// unreadHost returns the rows of the certificates the host's manifest lists, which cannot be
// checked without the host's tree.
func unreadHost(root, host string) ([]pki.CertStatus, error) {
	p := filepath.Join(root, host+compiler.ManifestSuffix)
	data, err := untrusted.ReadFileNoFollow(p, untrusted.TreeFileLimit)
	if err != nil {
		return nil, err
	}
	var m struct {
		Files []struct {
			Path string `json:"path"`
			Type string `json:"type"`
		} `json:"files"`
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", p, err)
	}
	var files []string
	for _, f := range m.Files {
		if f.Type == "file" {
			files = append(files, f.Path)
		}
	}
	return pki.Unchecked(host, files), nil
}

// readInput walks root with lstat and returns its files, each read only when the check asks.
func readInput(root string) (pki.CheckInput, error) {
	in := pki.CheckInput{Files: map[string]string{}}
	disk := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		name := "/" + filepath.ToSlash(rel)
		in.Files[name] = entryProblem(fi)
		disk[name] = p
		return nil
	})
	in.Read = func(name string) ([]byte, string) {
		data, err := untrusted.ReadFileNoFollow(disk[name], untrusted.StoreFileLimit)
		var fe *untrusted.FileError
		switch {
		case errors.As(err, &fe):
			return data, fe.Reason
		case err != nil:
			return data, "could not be read: " + err.Error()
		}
		return data, ""
	}
	return in, err
}

// entryProblem says why a file must not be read, from its lstat; "" for a regular file of
// acceptable size.
func entryProblem(fi fs.FileInfo) string {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return "is a symbolic link; not followed"
	case fi.IsDir():
		return "is a directory"
	case !fi.Mode().IsRegular():
		return "is not a regular file; not read"
	case fi.Size() > untrusted.StoreFileLimit:
		return "is larger than the limit for a PKI file; not read"
	}
	return ""
}
