package pki

import (
	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/kubeconfig"
)

// PublicFile is a file of a host's bundle that holds public PKI material, and where that
// material belongs in a store: what a diff without the CA keys reads back from a compiled tree
// to judge certificates by what they say (Options.KeysUnknown).
type PublicFile struct {
	// NodePath is the file on the node.
	NodePath string
	// Store is the store file the material goes to.
	Store string
	// Kubeconfig: the certificate is the client certificate the kubeconfig embeds.
	Kubeconfig bool
}

// PublicFiles returns host h's files holding certificates (its CAs', its own, its
// kubeconfigs') and sa.pub, as the tables place them.
func PublicFiles(c *compiler.Cluster, h *compiler.Host) []PublicFile {
	var out []PublicFile
	for _, a := range authorities {
		if a.Needed(c) && a.CertTo(c, h) {
			out = append(out, PublicFile{NodePath: a.CertPath, Store: a.Store + ".crt"})
		}
	}
	if saTo(c, h) {
		out = append(out, PublicFile{NodePath: compiler.ServiceAccountPubPath, Store: saPubStore})
	}
	for i := range leaves {
		spec := &leaves[i]
		if !spec.For(c, h) {
			continue
		}
		if spec.Kubeconfig != nil {
			out = append(out, PublicFile{NodePath: spec.Kubeconfig.Path, Store: leafPath(h.Name, spec.Name, ".crt"), Kubeconfig: true})
			continue
		}
		out = append(out, PublicFile{NodePath: spec.CertPath, Store: leafPath(h.Name, spec.Name, ".crt")})
	}
	return out
}

// PublicMaterial returns what a PublicFile's content contributes to a store: the file itself,
// or a kubeconfig's client certificate; nil when it holds none.
func (f PublicFile) PublicMaterial(data []byte) []byte {
	if !f.Kubeconfig {
		return data
	}
	k, ok := kubeconfig.Parse(data)
	if !ok || len(k.Users) != 1 {
		return nil
	}
	return k.Users[0].User.ClientCertificateData
}
