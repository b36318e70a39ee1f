package emit

import (
	"fmt"
	"path/filepath"
	"strings"

	"kubeforge.dev/kubeforge/emit/internal/atomicdir"
)

// CheckStoreOutside returns an error when the PKI store is the output directory, inside it, or
// holds it: every compile replaces the output as a whole, so a store inside it would be deleted
// (and a new CA issued each time), and an output inside the store would be swapped in and out
// of it. Paths are compared where they really are, links resolved.
func CheckStoreOutside(output, store string) error {
	if store == "" {
		return nil
	}
	o, err := atomicdir.RealPath(output)
	if err != nil {
		return err
	}
	s, err := atomicdir.RealPath(store)
	if err != nil {
		return err
	}
	switch {
	case o == s:
		return fmt.Errorf("the PKI store %s is the output directory %s; keep the store beside the output (the default is OUTPUT.pki)", store, output)
	case within(s, o):
		return fmt.Errorf("the PKI store %s is inside the output directory %s, which every compile replaces as a whole: the store and its CA would be lost; keep it beside the output (the default is OUTPUT.pki)", store, output)
	case within(o, s):
		return fmt.Errorf("the output directory %s is inside the PKI store %s; keep them apart (the default store is OUTPUT.pki)", output, store)
	}
	return nil
}

// within reports whether p lies below dir.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, "../")
}
