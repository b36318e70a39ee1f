package pki

// EventKind says what Issue did with one file of the store.
type EventKind string

const (
	// Issued: the file did not exist; it was created.
	Issued EventKind = "issued"
	// Reissued: the stored certificate no longer said what it should; Reason says why.
	Reissued EventKind = "re-issued"
	// Kept: the stored file was reused as is; Reason may carry a warning.
	Kept EventKind = "kept"
)

// Event is what happened to one certificate or key of the store.
type Event struct {
	Kind EventKind `json:"kind"`
	// Host is the host the certificate belongs to; empty for the CAs and the service-account
	// key.
	Host string `json:"host,omitempty"`
	// Name is the certificate's name: "ca", "apiserver", "etcd/server", "kubelet-client", ...
	Name string `json:"name"`
	// File is the certificate's (or key's) path in the store.
	File   string `json:"file"`
	Reason string `json:"reason,omitempty"`
}

// Report returns what Issue did, per file: CAs first, then each host's certificates in
// description order.
func (r *Result) Report() []Event {
	return append([]Event(nil), r.events...)
}

// Changed reports whether Issue created or re-issued anything, i.e. whether Commit has
// something to write.
func (r *Result) Changed() bool { return r.changed }

// ExternalCA reports whether the cluster CA's key is kept outside the store (kubeadm's
// external CA mode): no host receives ca.key, so the controller-manager must be told not to
// sign certificates (kubeadm then passes empty --cluster-signing-cert-file and
// --cluster-signing-key-file).
func (r *Result) ExternalCA() bool { return r.cas[clusterCA].Key == nil }
