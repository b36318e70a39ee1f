package emit

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"kubeforge.dev/kubeforge/render/artifact"
)

// writeTree lays a bundle out under root at the artifacts' node paths, with their modes.
// Parent directories no artifact names get 0755, as on a node.
func writeTree(root string, b artifact.Bundle) error {
	made := map[string]bool{}
	for _, a := range b.Artifacts {
		rel, err := nodeRel(a.Path)
		if err != nil {
			return fmt.Errorf("bundle %s: %w", b.Name, err)
		}
		p := filepath.Join(root, rel)
		if err := mkdirs(root, filepath.Dir(rel), made); err != nil {
			return err
		}
		if a.IsDir() {
			if err := os.Mkdir(p, a.Mode.Perm()); err != nil && !os.IsExist(err) {
				return err
			}
		} else if err := os.WriteFile(p, a.Data, a.Mode.Perm()); err != nil {
			return err
		}
		// The umask must not change what the bundle says.
		if err := os.Chmod(p, a.Mode.Perm()); err != nil {
			return err
		}
	}
	return nil
}

// mkdirs creates root and the directories of rel below it that do not exist yet, with mode
// 0755 whatever the umask. made remembers directories known to exist.
func mkdirs(root, rel string, made map[string]bool) error {
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
		if _, err := os.Lstat(p); err == nil {
			continue
		}
		if err := os.Mkdir(p, 0o755); err != nil && !os.IsExist(err) {
			return err
		}
		if err := os.Chmod(p, 0o755); err != nil {
			return err
		}
	}
	made[rel] = true
	return nil
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
