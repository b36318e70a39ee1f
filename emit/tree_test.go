package emit

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestModesUnderEveryUmask writes under umasks that narrow none, some and all of the
// bundle's modes: the chmod skipped when creation already gave the mode must never leave a
// file or directory with another mode than the bundle's, nor the probe behind.
func TestModesUnderEveryUmask(t *testing.T) {
	for _, umask := range []int{0, 0o022, 0o027, 0o077, 0o222} {
		t.Run(fmt.Sprintf("umask=%04o", umask), func(t *testing.T) {
			old := syscall.Umask(umask)
			defer syscall.Umask(old)
			dir := filepath.Join(t.TempDir(), "out")
			if err := Write(dir, sampleOutput("1", 3)); err != nil {
				t.Fatal(err)
			}
			for p, want := range map[string]fs.FileMode{
				"h2":                                    0o755,
				"h2/etc":                                0o755,
				"h2/etc/kubernetes/manifests":           0o700,
				"h2/etc/kubernetes/manifests/etcd.yaml": 0o600,
				"h2/var/lib/kubelet/config.yaml":        0o644,
				"h2/etc/kubernetes/pki/ca.key":          0o600,
			} {
				fi, err := os.Stat(filepath.Join(dir, p))
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != want {
					t.Errorf("%s: mode %04o, want %04o", p, fi.Mode().Perm(), want)
				}
			}
			if _, err := os.Lstat(filepath.Join(dir, ".kubeforge-mode-probe")); err == nil {
				t.Error("the mode probe was left in the output")
			}
		})
	}
}
