package compiler

import (
	"fmt"
	"strings"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// portOverlaps refuses two listeners on one port of one host: the second one to start fails,
// or, for NodePorts, kube-proxy's rules take the traffic meant for the component. Loopback
// listeners count (they bind all the same); extra firewall ports do not (they only open). Each
// entry the user chose is reported once, with every entry it collides with.
func (k *checker) portOverlaps() {
	type entry struct{ name, source string }
	var order []entry
	at := map[entry]Port{}
	others := map[entry][]string{}
	seen := map[[2]entry]bool{}
	for _, h := range k.c.Hosts {
		ports := k.c.PortsOn(h)
		for i, a := range ports {
			for _, b := range ports[i+1:] {
				if a.Listen == ListenNone || b.Listen == ListenNone || !a.Overlaps(b) {
					continue
				}
				// Report at the entry the user chose; Kubernetes fixes the other.
				if !k.loc.Written(a.Source) && k.loc.Written(b.Source) || a.Source == "" {
					a, b = b, a
				}
				ea, eb := entry{a.Name, a.Source}, entry{b.Name, b.Source}
				if seen[[2]entry{ea, eb}] {
					continue
				}
				seen[[2]entry{ea, eb}] = true
				if _, ok := at[ea]; !ok {
					order = append(order, ea)
					at[ea] = a
				}
				others[ea] = append(others[ea], fmt.Sprintf("%s (%s on host %q)", b.Name, b, h.Name))
			}
		}
	}
	for _, e := range order {
		p := at[e]
		k.errorf(diag.CodePortOverlap, e.source, "two listeners cannot share a port of one host: "+portAdvice(p), "%s port %s overlaps %s", p.Name, p, strings.Join(others[e], ", "))
	}
}

// portAdvice says how to move the entry the user chose.
func portAdvice(p Port) string {
	switch {
	case p.Name == PortNameNodePorts:
		return "NodePorts are answered on every node; choose a range clear of the components' ports, such as the default 30000-32767"
	case p.Name == PortNameKubeletReadOnly:
		return "keep the read-only port closed (0), or choose a free port"
	}
	return "choose a free port"
}
