package pki

import (
	"maps"
	"slices"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
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

// TestSubjectFromTheHostsRow: a certificate's subject comes from its host's row of the
// version table, not the cluster's, so that a host at another minor during a roll-out gets
// the subjects kubeadm of its own version gives. The rows agree today, so the test gives two
// hosts a row of their own with a changed group and checks that only those hosts carry it.
func TestSubjectFromTheHostsRow(t *testing.T) {
	c := compilertest.Load(t, "ha.yaml")
	moved := map[string]string{"cp2": "admin", "w1": "kubelet-client"}
	for _, h := range c.Hosts {
		if name, ok := moved[h.Name]; ok {
			h.Release.Subjects = maps.Clone(h.Release.Subjects)
			s := h.Release.Subjects[name]
			s.Organizations = []string{"test:row-of-" + h.Name}
			h.Release.Subjects[name] = s
		}
	}
	r := issue(t, c, Options{})
	for _, tc := range []struct{ host, name, want string }{
		{"cp2", "admin", "test:row-of-cp2"},
		{"cp1", "admin", "kubeadm:cluster-admins"},
		{"w1", "kubelet-client", "test:row-of-w1"},
		{"w2", "kubelet-client", "system:nodes"},
	} {
		kp := r.leaves[tc.host][tc.name]
		if kp == nil {
			t.Fatalf("%s: no %s issued", tc.host, tc.name)
		}
		if got := kp.Cert.Subject.Organization; !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%s %s: organizations %q, want [%s]", tc.host, tc.name, got, tc.want)
		}
	}
}
