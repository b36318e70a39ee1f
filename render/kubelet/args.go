package kubelet

import "slices"

// flagArgs returns --name=value words in the order of names.
func flagArgs(names []string, args map[string]string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, "--"+n+"="+args[n])
	}
	return out
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
