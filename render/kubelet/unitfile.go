package kubelet

import (
	"slices"
	"strings"
)

// unitFile writes a systemd unit or drop-in, section by section.
type unitFile struct {
	b        strings.Builder
	sections int
}

func (u *unitFile) comment(s string) {
	u.b.WriteString("# " + s + "\n")
}

func (u *unitFile) section(name string) {
	if u.sections > 0 {
		u.b.WriteString("\n")
	}
	u.sections++
	u.b.WriteString("[" + name + "]\n")
}

func (u *unitFile) set(key, value string) {
	u.b.WriteString(key + "=" + value + "\n")
}

func (u *unitFile) bytes() []byte { return []byte(u.b.String()) }

// quoteValue returns s as one double-quoted systemd word: backslashes and quotes escaped, and
// '%' doubled so that systemd does not read it as a specifier.
func quoteValue(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "%", "%%")
	return `"` + r.Replace(s) + `"`
}

// execWord returns an ExecStart argument: quoted when it holds spaces or quotes, with '%' and
// '$' escaped so that systemd passes it unchanged.
func execWord(s string) string {
	if strings.ContainsAny(s, " \t\"'\\") {
		s = quoteValue(s)
	} else {
		s = strings.ReplaceAll(s, "%", "%%")
	}
	return strings.ReplaceAll(s, "$", "$$")
}

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
