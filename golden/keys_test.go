package golden

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render"
	"kubeforge.dev/kubeforge/render/pki"
)

// encryptionSecretRE matches a key of an EncryptionConfiguration: the base64 of 32 bytes.
var encryptionSecretRE = regexp.MustCompile(`secret: [A-Za-z0-9+/]{43}=`)

// encryptionKeysIn returns the files under dir holding an encryption-at-rest key.
func encryptionKeysIn(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if encryptionSecretRE.Match(data) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGoldenHoldsNoEncryptionKey: golden trees are compiled without the PKI, so the
// EncryptionConfiguration, which embeds the keys, is not in them. The private-key scans see PEM
// and DER keys only; this one sees encryption keys, and is shown to find one in a tree compiled
// with the PKI.
func TestGoldenHoldsNoEncryptionKey(t *testing.T) {
	for name := range examples {
		if found := encryptionKeysIn(t, name); len(found) > 0 {
			t.Errorf("golden files hold encryption keys: %v", found)
		}
	}
	c := compilertest.Load(t, "dedicated-etcd.yaml")
	if c.APIServer.EncryptionAtRest == nil {
		t.Fatal("dedicated-etcd.yaml no longer sets apiServer.encryptionAtRest: the golden trees do not show the rule holds")
	}
	res, err := render.Compile(c, render.Options{PKI: &pki.Options{}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, b := range res.Hosts {
		for _, a := range b.Artifacts {
			if a.IsDir() {
				continue
			}
			p := filepath.Join(dir, b.Name, a.Path)
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, a.Data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	if found := encryptionKeysIn(t, dir); len(found) != 2 {
		t.Errorf("with the PKI, found keys in %v; want the EncryptionConfiguration of cp1 and cp2", found)
	}
}
