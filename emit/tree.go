package emit

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"kubeforge.dev/kubeforge/render/artifact"
)

// writeTree lays a bundle out under root, a directory that does not exist yet, at the
// artifacts' node paths, with their modes. Parent directories no artifact names get 0755, as on
// a node. mask holds the bits creation removes from a mode (see creationMask).
func writeTree(root string, b artifact.Bundle, mask fs.FileMode) error {
	made := map[string]bool{}
	for _, a := range b.Artifacts {
		rel, err := nodeRel(a.Path)
		if err != nil {
			return fmt.Errorf("bundle %s: %w", b.Name, err)
		}
		p := filepath.Join(root, rel)
		if err := mkdirs(root, filepath.Dir(rel), made, mask); err != nil {
			return err
		}
		if a.IsDir() {
			if err := makeDir(p, a.Mode.Perm(), mask); err != nil {
				return err
			}
		} else if err := os.WriteFile(p, a.Data, a.Mode.Perm()); err != nil {
			return err
		} else if err := fixMode(p, a.Mode.Perm(), mask); err != nil {
			return err
		}
	}
	return nil
}

// makeDir creates the directory p with exactly perm, or gives it perm when it was made
// earlier as a parent (with 0755).
func makeDir(p string, perm, mask fs.FileMode) error {
	err := os.Mkdir(p, perm)
	if os.IsExist(err) {
		return os.Chmod(p, perm)
	}
	if err != nil {
		return err
	}
	return fixMode(p, perm, mask)
}

// mkdirs creates root and the directories of rel below it that do not exist yet, with mode
// 0755 whatever the umask. made remembers directories known to exist.
func mkdirs(root, rel string, made map[string]bool, mask fs.FileMode) error {
	if made[rel] {
		return nil
	}
	p := root
	parts := []string{""}
	if rel != "." {
		parts = append(parts, strings.Split(rel, string(filepath.Separator))...)
	}
	for _, part := range parts {
		p = filepath.Join(p, part)
		if made[p] {
			continue
		}
		made[p] = true
		err := os.Mkdir(p, 0o755)
		if os.IsExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		if err := fixMode(p, 0o755, mask); err != nil {
			return err
		}
	}
	made[rel] = true
	return nil
}

// fixMode gives the file or directory just created at p exactly mode, which the umask may
// have narrowed at creation. When it cannot have (mode has no bit of mask), the chmod is
// skipped: on a cluster of thousands of hosts that is tens of thousands of system calls.
func fixMode(p string, mode, mask fs.FileMode) error {
	if mode&mask == 0 {
		return nil
	}
	return os.Chmod(p, mode)
}

// creationMask returns the bits that creating a file or directory under root removes from the
// requested mode (the umask, or what a default ACL on root allows), found by creating a probe
// directory with 0777; 0777 when the probe fails, so that every mode is fixed. Found per
// output: the umask can change within a process.
func creationMask(root string) fs.FileMode {
	probe := filepath.Join(root, ".kubeforge-mode-probe")
	if err := os.Mkdir(probe, 0o777); err != nil {
		return 0o777
	}
	defer os.Remove(probe)
	fi, err := os.Stat(probe)
	if err != nil {
		return 0o777
	}
	return 0o777 &^ fi.Mode().Perm()
}

// nodeRel turns an absolute node path into a path relative to a bundle root, refusing
// anything that would escape it.
func nodeRel(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("artifact path %q is not absolute", p)
	}
	rel := filepath.Clean(strings.TrimPrefix(p, "/"))
	if rel == "." || rel == ".." || strings.HasPrefix(rel, "../") || !fs.ValidPath(rel) {
		return "", fmt.Errorf("artifact path %q is not a file path inside the node's root", p)
	}
	return rel, nil
}
