package pki

import (
	"fmt"
	"io/fs"
	"path"
	"slices"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/parallel"
	"kubeforge.dev/kubeforge/render/artifact"
)

// Node file modes, as kubeadm (client-go's cert and key helpers) writes them: certificates
// world-readable, keys and kubeconfigs (which embed keys) owner-only. kubeadm writes sa.pub
// with the key helper, hence 0600 too.
const (
	certMode  fs.FileMode = 0o644
	keyMode   fs.FileMode = 0o600
	saPubMode fs.FileMode = 0o600
	// pkiDirMode is what kubeadm and the kubelet create their certificate directories with.
	pkiDirMode fs.FileMode = 0o755
	// encryptionDirMode hides even the name of the file holding the encryption keys.
	encryptionDirMode fs.FileMode = 0o700
)

// pkiDirs are the directories the PKI puts files in, each listed as a directory artifact in
// the bundles that use it.
var pkiDirs = []string{compiler.PKIDir, compiler.EtcdPKIDir, compiler.KubeletPKIDir}

// kubeletReads are the PKI files the kubelet reads only when it starts: kubelet.conf, the
// client CA its configuration names, and its serving pair. A change to them restarts it.
var kubeletReads = []string{compiler.KubeletConfPath, compiler.CACertPath, compiler.KubeletServingCert, compiler.KubeletServingKey}

// HostArtifacts returns what host h's bundle holds of the PKI, sorted by path: its CA
// certificates, the CA and service-account keys it is entitled to, its own certificates and
// keys, its kubeconfigs, and their directories. It is nil for a host Issue did not select.
func (r *Result) HostArtifacts(h *compiler.Host) []artifact.Artifact {
	return slices.Clone(r.bundles[h.Name])
}

// buildBundles renders every selected host's PKI files, on all cores.
func (r *Result) buildBundles() error {
	out := make([][]artifact.Artifact, len(r.opts.Hosts))
	errs := make([]error, len(r.opts.Hosts))
	parallel.For(len(r.opts.Hosts), func(i int) { out[i], errs[i] = r.hostFiles(r.opts.Hosts[i]) })
	if err := summarize(errs); err != nil {
		return err
	}
	r.bundles = make(map[string][]artifact.Artifact, len(out))
	for i, h := range r.opts.Hosts {
		r.bundles[h.Name] = out[i]
	}
	return nil
}

// hostFiles returns host h's PKI files, following the tables.
func (r *Result) hostFiles(h *compiler.Host) ([]artifact.Artifact, error) {
	c := r.cluster
	var out []artifact.Artifact
	cert := func(p string, data []byte, src ...string) {
		out = append(out, artifact.File(p, certMode, data, src...))
	}
	secret := func(p string, mode fs.FileMode, data []byte, src ...string) {
		a := artifact.File(p, mode, data, src...)
		a.Secret = true
		// Without the store (KeysUnknown) a kept certificate's key is not known.
		a.Unknown = data == nil
		out = append(out, a)
	}

	for _, a := range authorities {
		if !a.Needed(c) {
			continue
		}
		ca := r.cas[a.ID]
		if a.CertTo(c, h) {
			cert(a.CertPath, r.trust(a.ID), "pki.keyAlgorithm", "pki.caValidity")
		}
		// In external CA mode the key is elsewhere; the controller-manager then cannot sign.
		if a.KeyTo(c, h) && (ca.Key != nil || r.opts.KeysUnknown) {
			secret(a.KeyPath, keyMode, ca.KeyPEM, "pki.keyAlgorithm")
			// The controller-manager signs with one certificate (it refuses a bundle), so
			// while ca.crt holds two the signing one has a file of its own.
			if a.ID == clusterCA && r.ClusterSigningCert() != "" {
				cert(ClusterSigningCertPath, ca.CertPEM, "pki.keyAlgorithm", "pki.caValidity")
			}
		}
	}
	if saTo(c, h) {
		secret(compiler.ServiceAccountKeyPath, keyMode, r.saKey, "pki.keyAlgorithm")
		out = append(out, artifact.File(compiler.ServiceAccountPubPath, saPubMode, r.saTrust, "pki.keyAlgorithm"))
	}
	// The user's client files for an etcd cluster kubeforge does not run, read and checked
	// when the description was loaded, go where kubeadm's apiserver flags expect them.
	if x := c.Etcd.External; c.Etcd.Topology == compiler.EtcdExternal && x != nil && controlPlane(c, h) {
		cert(compiler.EtcdCACertPath, x.CA, "etcd.external.caFile")
		cert(compiler.APIServerEtcdClientCert, x.Cert, "etcd.external.certFile")
		secret(compiler.APIServerEtcdClientKey, keyMode, x.Key, "etcd.external.keyFile")
	}

	for i := range leaves {
		spec := &leaves[i]
		if !spec.For(c, h) {
			continue
		}
		p := r.leaves[h.Name][spec.Name]
		if p == nil {
			return nil, fmt.Errorf("host %s: no %s certificate was issued", h.Name, spec.Name)
		}
		src := []string{"pki.keyAlgorithm", "pki.certValidity"}
		if spec.Sources != nil {
			src = append(src, spec.Sources(c, h)...)
		}
		if k := spec.Kubeconfig; k != nil {
			// The client certificate is embedded, as kubeadm init writes kubelet.conf before
			// its kubelet-finalize phase. With rotateCertificates the kubelet takes it as a
			// bootstrap pair: on first start it copies it into its own store
			// (/var/lib/kubelet/pki/kubelet-client-current.pem, a symlink it manages) and
			// replaces it at once through a CSR; later starts use the store's pair while it is
			// valid, so a re-applied kubelet.conf never undoes a rotation. Pointing kubelet.conf
			// at that path instead (kubeadm's kubelet-finalize) would need a symlink bundles
			// cannot carry, and a plain file there makes the kubelet's rotation fail. The one
			// cost: the kubelet sends its renewal CSRs with kubelet.conf's credential, which
			// therefore must stay valid (README: kubelet client certificates).
			data, err := buildKubeconfig(c.Name, k.Server(c, h), p.Cert.Subject.CommonName,
				r.trust(spec.CA), p.CertPEM, p.KeyPEM)
			if err != nil {
				return nil, fmt.Errorf("host %s: %s: %w", h.Name, k.Path, err)
			}
			secret(k.Path, keyMode, data, src...)
			if p.KeyPEM == nil {
				out[len(out)-1].Unknown = true
			}
			continue
		}
		cert(spec.CertPath, p.CertPEM, src...)
		secret(spec.KeyPath, keyMode, p.KeyPEM, src...)
	}

	if c.APIServer.EncryptionAtRest != nil && controlPlane(c, h) {
		data, err := r.encryptionConfig()
		if err != nil {
			return nil, fmt.Errorf("host %s: %s: %w", h.Name, compiler.EncryptionConfigPath, err)
		}
		secret(compiler.EncryptionConfigPath, keyMode, data, "apiServer.encryptionAtRest")
		out = append(out, artifact.Dir(compiler.EncryptionConfigDir, encryptionDirMode, "apiServer.encryptionAtRest"))
	}

	var dirs []string
	for _, a := range out {
		for d := path.Dir(a.Path); slices.Contains(pkiDirs, d); d = path.Dir(d) {
			if !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
	}
	for _, d := range dirs {
		out = append(out, artifact.Dir(d, pkiDirMode))
	}
	for i := range out {
		if slices.Contains(kubeletReads, out[i].Path) {
			out[i].Effects |= artifact.RestartKubelet
		}
	}
	slices.SortFunc(out, func(a, b artifact.Artifact) int {
		switch {
		case a.Path < b.Path:
			return -1
		case a.Path > b.Path:
			return 1
		}
		return 0
	})
	return out, nil
}

// WouldChange returns, in KeysUnknown mode, the node files of each host that a compile with
// the real store would issue or re-issue, with the reason: certificates, their keys and the
// kubeconfigs built around them.
func (r *Result) WouldChange() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, e := range r.events {
		if e.Kind == Kept || e.Host == "" {
			continue
		}
		spec := leafByName(e.Name)
		why := "a compile with the PKI store would issue it"
		if e.Kind == Reissued {
			why = "a compile with the PKI store would re-issue it: " + e.Reason
		}
		if out[e.Host] == nil {
			out[e.Host] = map[string]string{}
		}
		if spec.Kubeconfig != nil {
			out[e.Host][spec.Kubeconfig.Path] = why
			continue
		}
		out[e.Host][spec.CertPath] = why
		out[e.Host][spec.KeyPath] = why
	}
	return out
}
