package emit

import (
	"os"
	"path/filepath"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/render/pki"
)

// publicStore reads back, from the host trees of a compiled output or golden tree, the
// certificates and sa.pub a compile gave each host, as the content of a store without keys:
// what a diff without the PKI store judges certificates against (pki.Options.KeysUnknown). A
// file that cannot be read as a regular file, or that holds key material, contributes nothing
// (the comparison then reports it); a CA certificate is taken from the first host holding it.
func publicStore(dir string, c *compiler.Cluster) *pki.Store {
	st := &pki.Store{Dir: dir + " (public files only)", Files: map[string]pki.StoreFile{}}
	for _, h := range c.Hosts {
		for _, f := range pki.PublicFiles(c, h) {
			if _, ok := st.Files[f.Store]; ok {
				continue
			}
			data, err := untrusted.ReadFileNoFollow(filepath.Join(dir, h.Name, filepath.FromSlash(f.NodePath)), untrusted.PEMLimit)
			if err != nil {
				continue
			}
			material := f.PublicMaterial(data)
			if material == nil || untrusted.ContainsPrivateKey(material) {
				continue
			}
			st.Files[f.Store] = pki.StoreFile{Data: material, Mode: pki.StoreCertMode}
		}
	}
	return st
}

// storeMissing reports whether a store directory does not exist.
func storeMissing(dir string) bool {
	_, err := os.Lstat(dir)
	return os.IsNotExist(err)
}
