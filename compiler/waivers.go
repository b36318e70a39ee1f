package compiler

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"kubeforge.dev/kubeforge/compiler/cisids"
	"kubeforge.dev/kubeforge/compiler/description"
	"kubeforge.dev/kubeforge/compiler/diag"
)

// Waiver accepts that a benchmark control of kubeforge check fails, for a reason the review
// of the description saw.
type Waiver struct {
	// ID is the control: a CIS number ("1.2.15") or an NSA item (cisids).
	ID     string
	Reason string
	// Field is the description field of the waiver, for messages.
	Field string
}

// waivers returns checks.waive sorted by control ID.
func waivers(d description.Checks) []Waiver {
	out := make([]Waiver, 0, len(d.Waive))
	for _, id := range slices.Sorted(maps.Keys(d.Waive)) {
		out = append(out, Waiver{ID: id, Reason: d.Waive[id], Field: FieldPath("checks", "waive", Key(id))})
	}
	return out
}

// waiverChecks refuses a waiver of a control kubeforge check does not have (a typo would
// silently waive nothing) and one without a reason (a waiver is a decision someone must be
// able to read). Control characters in the reason are refused where every string is.
func (k *checker) waiverChecks() {
	for _, w := range k.c.Waivers {
		const want = "a waiver names a control of the CIS Kubernetes Benchmark v1.11 (\"1.2.15\") or an NSA-... item; kubeforge check lists them"
		switch {
		case len(w.ID) > cisids.MaxLen:
			// The field path names the key already; quoting it again would double kilobytes.
			k.errorf(diag.CodeUnknownControl, w.Field, want, "no benchmark control has an ID of %d bytes", len(w.ID))
		case !cisids.Known(w.ID):
			k.errorf(diag.CodeUnknownControl, w.Field, want, "no benchmark control %q%s", w.ID, nearestControl(w.ID))
		}
		if strings.TrimSpace(w.Reason) == "" {
			k.errorf(diag.CodeWaiverWithoutReason, w.Field,
				"say why the cluster accepts this control failing; kubeforge check prints the reason",
				"the waiver of %q gives no reason", w.ID)
		}
	}
}

// nearestControl suggests the known control an unknown ID most likely meant: the same ID
// without surrounding spaces or a "CIS-" prefix, or the NSA item in another case.
func nearestControl(id string) string {
	for _, c := range []string{strings.TrimSpace(id), strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(id)), "CIS-"), strings.ToUpper(strings.TrimSpace(id))} {
		if c != id && cisids.Known(c) {
			return "; did you mean " + strconv.Quote(c) + "?"
		}
	}
	return ""
}
