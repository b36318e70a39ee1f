package pki

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"
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
//
// Without the store (KeysUnknown) no key is known; the CA's is taken to be in the store, as it
// is unless the operator runs kubeadm's external CA mode.
func (r *Result) ExternalCA() bool { return r.cas[clusterCA].Key == nil && !r.opts.KeysUnknown }

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

// WriteTable prints statuses as a table, like kubeadm certs check-expiration, with a last
// column saying "ok" or what is wrong.
func WriteTable(w io.Writer, statuses []CertStatus) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "CERTIFICATE\tSUBJECT\tEXPIRES\tRESIDUAL TIME\tISSUER\tSTATUS")
	for _, s := range statuses {
		file := printable(s.File)
		if s.Certificate != "" {
			file += " (" + printable(s.Certificate) + ")"
		}
		expires, left := "-", "-"
		if !s.NotAfter.IsZero() {
			expires, left = s.NotAfter.Format("Jan 02, 2006 15:04 MST"), humanDuration(s.Residual)
		}
		if s.Expired {
			left = "<expired>"
		}
		status := "ok"
		if len(s.Problems) > 0 {
			status = printable(strings.Join(s.Problems, "; "))
		} else if s.Expired {
			status = "expired"
		}
		if s.Rotation != "" {
			status += " (rotation " + s.Rotation + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", file, printable(s.Subject), expires, left, printable(s.Issuer), status)
	}
	return tw.Flush()
}

// printable returns s, quoted when it holds characters that could disguise a line: file
// names and subjects come from the checked files.
func printable(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return s
	}
	return strconv.Quote(s)
}

// WriteJSON prints statuses as a JSON array (empty, not null, when there is none).
func WriteJSON(w io.Writer, statuses []CertStatus) error {
	if statuses == nil {
		statuses = []CertStatus{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(statuses)
}
