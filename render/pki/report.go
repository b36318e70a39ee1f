package pki

import (
	"fmt"
	"time"
)

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

// Changed reports whether Issue created or re-issued anything: whether Store differs from
// the store it was given.
func (r *Result) Changed() bool { return r.changed }

// ExternalCA reports whether the cluster CA's key is kept outside the store (kubeadm's
// external CA mode): no host receives ca.key, so the controller-manager must be told not to
// sign certificates (kubeadm then passes empty --cluster-signing-cert-file and
// --cluster-signing-key-file).
func (r *Result) ExternalCA() bool { return r.cas[clusterCA].Key == nil }

// residual describes a remaining validity: "in 29d" or "expired 3d ago".
func residual(left time.Duration) string {
	if left <= 0 {
		return "expired " + humanDuration(-left) + " ago"
	}
	return "in " + humanDuration(left)
}

// humanDuration writes a duration the way kubeadm's expiration table does: 9y, 364d, 23h, 59m.
func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + humanDuration(-d)
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	case d < 365*24*time.Hour:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	return fmt.Sprintf("%dy", int(d/(365*24*time.Hour)))
}
