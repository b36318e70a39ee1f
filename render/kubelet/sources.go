package kubelet

import (
	"net/netip"
	"slices"

	"kubeforge.dev/kubeforge/compiler"
)

// sources collects the description fields an artifact was derived from.
type sources map[string]bool

func (s sources) add(paths ...string) {
	for _, p := range paths {
		if p != "" {
			s[p] = true
		}
	}
}

// originOf returns a function telling whether the description set a kubelet field (by
// default or explicitly), recording where when it did.
func (s sources) originOf(k compiler.Kubelet) func(field string) bool {
	return func(field string) bool {
		p, ok := k.Origin[field]
		if ok {
			s.add(p)
		}
		return ok
	}
}

// list returns the fields sorted, for deterministic provenance.
func (s sources) list() []string {
	out := make([]string, 0, len(s))
	for p := range s {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// addrStrings returns the addresses as the kubelet's lists take them.
func addrStrings(as []netip.Addr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}
