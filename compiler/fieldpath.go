package compiler

import (
	"fmt"
	"slices"

	"kubeforge.dev/kubeforge/compiler/description"
)

// Key is a map key in a field path, written quoted in brackets whatever it is, as flags,
// sysctls and labels are named: FieldPath("sysctls", Key("vm.swappiness")) is
// sysctls["vm.swappiness"].
type Key string

// FieldPath returns the path of a description field, the one way diagnostics and provenance
// (Artifact.Sources, Kubelet.Origin) name fields: each string element is a field name (group
// names too), each int a list index, each Key a map key.
// FieldPath("apiServer", "extraArgs", Key("secure-port")) is apiServer.extraArgs["secure-port"];
// the result reads back with description.ParsePath to the same elements.
func FieldPath(elems ...any) string { return pathOf(elems).String() }

// Field returns the path of a field of the host: h.Field("kubelet", "maxPods") is
// hosts[2].kubelet.maxPods, and h.Field() the host itself.
func (h *Host) Field(elems ...any) string {
	return FieldPath(append([]any{"hosts", h.Index}, elems...)...)
}

// NodeNameField returns the path the host's node name comes from: nodeName when it is set,
// else the host's name.
func (h *Host) NodeNameField() string {
	if h.NodeName != h.Name {
		return h.Field("nodeName")
	}
	return h.Field("name")
}

// LayerFields returns the paths of the given host settings (labels, taints, kubelet) in every
// layer that applies to the host, most specific first: the host, its group, hostDefaults.
// LayerFields("labels") of a host in group gpu is hosts[2].labels, groups.gpu.labels,
// hostDefaults.labels.
func (h *Host) LayerFields(settings ...string) []string {
	layers := [][]any{{"hosts", h.Index}}
	if h.Group != "" {
		layers = append(layers, []any{"groups", h.Group})
	}
	layers = append(layers, []any{"hostDefaults"})
	var out []string
	for _, l := range layers {
		for _, s := range settings {
			out = append(out, FieldPath(slices.Concat(l, []any{s})...))
		}
	}
	return out
}

// pathOf builds a path from FieldPath's elements; a description.Path element is spliced in.
func pathOf(elems []any) description.Path {
	var p description.Path
	for _, e := range elems {
		switch e := e.(type) {
		case string:
			p = append(p, description.Field(e))
		case int:
			p = append(p, description.Index(e))
		case Key:
			p = append(p, description.Key(string(e)))
		case description.Path:
			p = append(p, e...)
		default:
			panic(fmt.Sprintf("compiler.FieldPath: element %#v is not a field name, index or Key", e))
		}
	}
	return p
}

// under returns the path of rel, a path written by FieldPath, below the path prefix
// (FieldPath's elements): under([]any{"kubelet"}, "imageGC.lowThresholdPercent").
func under(prefix []any, rel string) string {
	p, ok := description.ParsePath(rel)
	if !ok {
		panic("compiler: not a field path: " + rel)
	}
	return FieldPath(slices.Concat(prefix, []any{p})...)
}
