package description

import (
	"regexp"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
)

// fieldPath is a path into the description: field names and list indices.
type fieldPath []pathElem

type pathElem struct {
	name  string
	index int
	// isIndex tells a list index from a field name (a map key may be "0").
	isIndex bool
}

// errPath reads the path of a CUE error: indices as digits, labels that are not identifiers
// quoted.
func errPath(p []string) fieldPath {
	out := make(fieldPath, 0, len(p))
	for _, s := range p {
		if n, err := strconv.Atoi(s); err == nil {
			out = append(out, pathElem{index: n, isIndex: true})
			continue
		}
		if strings.HasPrefix(s, `"`) {
			if u, err := strconv.Unquote(s); err == nil {
				s = u
			}
		}
		out = append(out, pathElem{name: s})
	}
	return out
}

// selectors returns the path as CUE selectors.
func (p fieldPath) selectors() []cue.Selector {
	sels := make([]cue.Selector, len(p))
	for i, e := range p {
		switch {
		case e.isIndex:
			sels[i] = cue.Index(e.index)
		case strings.HasPrefix(e.name, "#"):
			sels[i] = cue.Def(e.name)
		default:
			sels[i] = cue.Str(e.name)
		}
	}
	return sels
}

// last returns the last element's name ("" for an index or the root).
func (p fieldPath) last() string {
	if len(p) == 0 || p[len(p)-1].isIndex {
		return ""
	}
	return p[len(p)-1].name
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// String writes the path the way a user reads it: hosts[2].kubelet.maxPods,
// apiServer.extraArgs["anonymous-auth"].
func (p fieldPath) String() string {
	var b strings.Builder
	for _, e := range p {
		switch {
		case e.isIndex:
			b.WriteString("[" + strconv.Itoa(e.index) + "]")
		case identRE.MatchString(e.name):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(e.name)
		default:
			b.WriteString("[" + strconv.Quote(e.name) + "]")
		}
	}
	return b.String()
}

// FormatPath writes a CUE error path (labels as CUE prints them) the way a user reads it.
func FormatPath(path []string) string { return errPath(path).String() }

// parsePath reads a path written by String (or any CUE path expression).
func parsePath(s string) (fieldPath, bool) {
	if s == "" {
		return nil, true
	}
	p := cue.ParsePath(s)
	if p.Err() != nil {
		return nil, false
	}
	var out fieldPath
	for _, sel := range p.Selectors() {
		if sel.Type() == cue.IndexLabel {
			out = append(out, pathElem{index: sel.Index(), isIndex: true})
		} else {
			out = append(out, pathElem{name: sel.Unquoted()})
		}
	}
	return out, true
}
