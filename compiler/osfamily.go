package compiler

import "slices"

// OSFamily is a host's operating system family: what kubeforge, which never looks at a host,
// must be told about it. It decides which of the host's CA bundle directories exist.
type OSFamily string

const (
	// OSDebian: Debian, Ubuntu and their derivatives.
	OSDebian OSFamily = "debian"
	// OSRHEL: RHEL, CentOS Stream, Rocky, Alma, Fedora, Fedora CoreOS.
	OSRHEL OSFamily = "rhel"
	// OSFlatcar: Flatcar Container Linux.
	OSFlatcar OSFamily = "flatcar"
)

// caTrustDirs lists, per family, the CA bundle directories present there among those kubeadm
// mounts into the apiserver and the controller-manager: /etc/ssl/certs always, and each of
// the directories its certificates may link into when kubeadm finds it on the machine it runs
// on. Mounting one that is absent would create it (DirectoryOrCreate): /etc/pki on Debian.
var caTrustDirs = map[OSFamily][]string{
	// ca-certificates: links in /etc/ssl/certs to /usr/share/ca-certificates and
	// /usr/local/share/ca-certificates, configuration and hooks in /etc/ca-certificates.
	OSDebian: {SSLCertsDir, CACertificatesDir, ShareCACertificatesDir, LocalCACertificatesDir},
	// ca-certificates and p11-kit: /etc/ssl/certs links to /etc/pki/tls/certs, whose bundles
	// link into /etc/pki/ca-trust/extracted.
	OSRHEL: {SSLCertsDir, PKICATrustDir, PKITLSCertsDir},
	// update-ca-certificates links /etc/ssl/certs to the read-only /usr/share/ca-certificates.
	OSFlatcar: {SSLCertsDir, ShareCACertificatesDir},
}

// OSFamilies returns the families kubeforge knows, sorted.
func OSFamilies() []OSFamily {
	out := make([]OSFamily, 0, len(caTrustDirs))
	for f := range caTrustDirs {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// CATrustDirs returns the CA bundle directories of the host's OS family.
func (h *Host) CATrustDirs() []string { return slices.Clone(caTrustDirs[h.OS]) }
