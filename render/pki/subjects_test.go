package pki

import (
	"testing"

	"kubeforge.dev/kubeforge/compiler"
)

// TestEveryLeafHasASubjectInEveryRow: the version table gives each certificate of the PKI a
// subject at every supported minor, and names no certificate the PKI does not issue.
func TestEveryLeafHasASubjectInEveryRow(t *testing.T) {
	for _, m := range compiler.SupportedMinors() {
		r, _ := compiler.ReleaseFor(m)
		for _, l := range leaves {
			if _, ok := r.Subjects[l.Name]; !ok {
				t.Errorf("1.%d: no subject for %s", m, l.Name)
			}
		}
		for name := range r.Subjects {
			if leafByName(name) == nil {
				t.Errorf("1.%d: subject for %s, which the PKI does not issue", m, name)
			}
		}
	}
}
