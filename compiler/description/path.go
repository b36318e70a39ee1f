package description

import (
	"regexp"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
)

// fieldPath is a path into the description: field names and list indices. A name may be any
// string a YAML or JSON key can be ("#a b", "", "a.b"); a path written with String reads back
// with parsePath to the same elements.
type fieldPath []pathElem

type pathElem struct {
	name  string
	index int
	// isIndex tells a list index from a field name (a map key may be "0").
	isIndex bool
	// isDef marks a CUE definition (#Name) of a CUE description, as CUE's own error paths
	// write one; a key written "#a" in YAML is a plain name.
	isDef bool
}

// errPath reads the path of a CUE error: indices as digits, definitions as #Name, and labels
// that are not identifiers quoted in CUE's syntax.
func errPath(p []string) fieldPath {
	out := make(fieldPath, 0, len(p))
	for _, s := range p {
		switch {
		case strings.HasPrefix(s, `"`) || strings.HasPrefix(s, `#"`):
			if u, err := literal.Unquote(s); err == nil {
				s = u
			}
			out = append(out, pathElem{name: s})
		case isDigits(s):
			n, err := strconv.Atoi(s)
			if err != nil {
				out = append(out, pathElem{name: s})
				continue
			}
			out = append(out, pathElem{index: n, isIndex: true})
		case strings.HasPrefix(s, "#") && ast.IsValidIdent(s):
			out = append(out, pathElem{name: s, isDef: true})
		default:
			out = append(out, pathElem{name: s})
		}
	}
	return out
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// selectors returns the path as CUE selectors.
func (p fieldPath) selectors() []cue.Selector {
	sels := make([]cue.Selector, len(p))
	for i, e := range p {
		switch {
		case e.isIndex:
			sels[i] = cue.Index(e.index)
		case e.isDef && strings.HasPrefix(e.name, "#") && ast.IsValidIdent(e.name):
			sels[i] = cue.Def(e.name)
		default:
			sels[i] = cue.Str(e.name)
		}
	}
	return sels
}

// pathOf returns CUE selectors as a fieldPath.
func pathOf(sels []cue.Selector) fieldPath {
	out := make(fieldPath, len(sels))
	for i, sel := range sels {
		switch sel.LabelType() {
		case cue.IndexLabel:
			out[i] = pathElem{index: sel.Index(), isIndex: true}
		case cue.StringLabel:
			out[i] = pathElem{name: sel.Unquoted()}
		case cue.DefinitionLabel:
			out[i] = pathElem{name: sel.String(), isDef: true}
		default:
			out[i] = pathElem{name: sel.String()}
		}
	}
	return out
}

// last returns the last element's name ("" for an index or the root).
func (p fieldPath) last() string {
	if len(p) == 0 || p[len(p)-1].isIndex {
		return ""
	}
	return p[len(p)-1].name
}

// plainNameRE matches the names a path writes bare; any other is quoted. A leading '_' or
// '#' would mean a hidden field or a definition to CUE, so such names are quoted too.
var plainNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// String writes the path the way a user reads it: hosts[2].kubelet.maxPods,
// apiServer.extraArgs["anonymous-auth"], sysctls["#a b"]. Quoted names are Go string
// literals, so control characters in a key show escaped.
func (p fieldPath) String() string {
	var b strings.Builder
	for _, e := range p {
		switch {
		case e.isIndex:
			b.WriteString("[" + strconv.Itoa(e.index) + "]")
		case plainNameRE.MatchString(e.name) || e.isDef && ast.IsValidIdent(e.name):
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

// parsePath reads a path written by String, or by hand in the same manner: names bare after a
// dot (anything up to the next '.' or '['), Go-quoted in brackets, indices in brackets.
func parsePath(s string) (fieldPath, bool) {
	var out fieldPath
	for i := 0; i < len(s); {
		switch {
		case s[i] == '[' && i+1 < len(s) && s[i+1] == '"':
			q, err := strconv.QuotedPrefix(s[i+1:])
			if err != nil || !strings.HasPrefix(s[i+1+len(q):], "]") {
				return nil, false
			}
			name, err := strconv.Unquote(q)
			if err != nil {
				return nil, false
			}
			out = append(out, pathElem{name: name})
			i += 1 + len(q) + 1
		case s[i] == '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 || !isDigits(s[i+1:i+end]) {
				return nil, false
			}
			n, err := strconv.Atoi(s[i+1 : i+end])
			if err != nil {
				return nil, false
			}
			out = append(out, pathElem{index: n, isIndex: true})
			i += end + 1
		default:
			if s[i] == '.' {
				if i == 0 {
					return nil, false
				}
				i++
			} else if i > 0 {
				return nil, false
			}
			end := strings.IndexAny(s[i:], ".[")
			if end < 0 {
				end = len(s) - i
			}
			if end == 0 {
				return nil, false
			}
			name := s[i : i+end]
			out = append(out, pathElem{name: name, isDef: strings.HasPrefix(name, "#") && ast.IsValidIdent(name)})
			i += end
		}
	}
	return out, true
}
