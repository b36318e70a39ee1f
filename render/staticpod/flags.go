package staticpod

import (
	"maps"
	"slices"

	"kubeforge.dev/kubeforge/compiler"
)

// flags are a component's command-line flags: kubeforge's defaults and the user's extra args,
// which replace defaults of the same name.
type flags struct {
	defaults map[string]string
	extra    compiler.Args
}

// get returns the effective value of a flag and whether it is set at all.
func (f flags) get(name string) (string, bool) {
	if v, ok := f.extra[name]; ok {
		return v, true
	}
	v, ok := f.defaults[name]
	return v, ok
}

// names returns every effective flag name, sorted.
func (f flags) names() []string {
	set := maps.Clone(f.defaults)
	if set == nil {
		set = map[string]string{}
	}
	maps.Copy(set, f.extra)
	return slices.Sorted(maps.Keys(set))
}

// command returns the binary followed by --name=value flags in kubeadm's order: the defaults
// the user did not replace, sorted by name, then the extra args, sorted by name.
func (f flags) command(binary string) []string {
	out := []string{binary}
	for _, name := range slices.Sorted(maps.Keys(f.defaults)) {
		if _, replaced := f.extra[name]; !replaced {
			out = append(out, "--"+name+"="+f.defaults[name])
		}
	}
	for _, name := range slices.Sorted(maps.Keys(f.extra)) {
		out = append(out, "--"+name+"="+f.extra[name])
	}
	return out
}
