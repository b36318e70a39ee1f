package pki

// CACert returns the cluster CA certificates (PEM) every client trusts, which the cluster
// bundle's cluster-info ConfigMap publishes: during a rotation, the outgoing and the incoming
// one.
func (r *Result) CACert() []byte { return r.trust(clusterCA) }

// ClusterSigningCertPath is where control-plane hosts receive the cluster CA's signing
// certificate alone while ca.crt holds two (stages 1 and 2 of its rotation).
const ClusterSigningCertPath = "/etc/kubernetes/pki/ca-signing.crt"

// ClusterSigningCert returns the file the controller-manager's --cluster-signing-cert-file
// must name while the cluster CA is being rotated (ClusterSigningCertPath: the
// controller-manager takes exactly one certificate there; ca.key is that certificate's key),
// and "" otherwise, when the flag's kubeadm default, ca.crt, holds the one CA.
func (r *Result) ClusterSigningCert() string {
	if r.stages[clusterCA] != RotationNone {
		return ClusterSigningCertPath
	}
	return ""
}

// trust returns the certificates hosts trust for a CA: its own, and during its rotation the
// other one too.
func (r *Result) trust(id caID) []byte {
	return trustBundle(r.cas[id], r.others[id], r.stages[id])
}
