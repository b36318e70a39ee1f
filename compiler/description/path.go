package description

import (
	"regexp"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
)

// Path is a path into the description: field names, map keys and list indices. It is how
// diagnostics and provenance name a field (String), and every path kubeforge writes reads back
// (ParsePath) to the same elements. A name may be any string a YAML or JSON key can be
// ("#a b", "", "a.b").
type Path []PathElem

// PathElem is one step of a Path.
type PathElem struct {
	name  string
	index int
	// isIndex tells a list index from a field name (a map key may be "0").
	isIndex bool
	// isDef marks a CUE definition (#Name) of a CUE description, as CUE's own error paths
	// write one; a key written "#a" in YAML is a plain name.
	isDef bool
	// isKey marks a map key written in brackets even when it could be written bare:
	// extraArgs["v"], as flags, sysctls and labels are named.
	isKey bool
}

// Field is the element naming a field (or a map entry written like one, as CUE names them):
// written bare when it can be, quoted in brackets otherwise.
func Field(name string) PathElem { return PathElem{name: name} }

// Key is the element naming a map key, always written quoted in brackets.
func Key(key string) PathElem { return PathElem{name: key, isKey: true} }

// Index is the element naming a list element.
func Index(i int) PathElem { return PathElem{index: i, isIndex: true} }

// Name returns the field name or map key the element names ("" for an index).
func (e PathElem) Name() string { return e.name }

// Index returns the list index the element names, and whether it names one.
func (e PathElem) Index() (int, bool) { return e.index, e.isIndex }

// Append returns the path followed by elems, leaving p as it is.
func (p Path) Append(elems ...PathElem) Path {
	out := make(Path, 0, len(p)+len(elems))
	return append(append(out, p...), elems...)
}

// Equal reports whether two paths name the same field, however their names are written.
func (p Path) Equal(q Path) bool {
	if len(p) != len(q) {
		return false
	}
	for i := range p {
		if p[i].isIndex != q[i].isIndex || p[i].index != q[i].index || p[i].name != q[i].name {
			return false
		}
	}
	return true
}

// HasPrefix reports whether p is q or lies below it.
func (p Path) HasPrefix(q Path) bool {
	return len(p) >= len(q) && p[:len(q)].Equal(q)
}

// errPath reads the path of a CUE error: indices as digits, definitions as #Name, and labels
// that are not identifiers quoted in CUE's syntax.
func errPath(p []string) Path {
	out := make(Path, 0, len(p))
	for _, s := range p {
		switch {
		case strings.HasPrefix(s, `"`) || strings.HasPrefix(s, `#"`):
			if u, err := literal.Unquote(s); err == nil {
				s = u
			}
			out = append(out, PathElem{name: s})
		case isDigits(s):
			n, err := strconv.Atoi(s)
			if err != nil {
				out = append(out, PathElem{name: s})
				continue
			}
			out = append(out, PathElem{index: n, isIndex: true})
		case strings.HasPrefix(s, "#") && ast.IsValidIdent(s):
			out = append(out, PathElem{name: s, isDef: true})
		default:
			out = append(out, PathElem{name: s})
		}
	}
	return out
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// selectors returns the path as CUE selectors.
func (p Path) selectors() []cue.Selector {
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

// pathOf returns CUE selectors as a Path.
func pathOf(sels []cue.Selector) Path {
	out := make(Path, len(sels))
	for i, sel := range sels {
		switch sel.LabelType() {
		case cue.IndexLabel:
			out[i] = PathElem{index: sel.Index(), isIndex: true}
		case cue.StringLabel:
			out[i] = PathElem{name: sel.Unquoted()}
		case cue.DefinitionLabel:
			out[i] = PathElem{name: sel.String(), isDef: true}
		default:
			out[i] = PathElem{name: sel.String()}
		}
	}
	return out
}

// last returns the last element's name ("" for an index or the root).
func (p Path) last() string {
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
// literals, so control characters in a key show escaped. Map keys (Key) are always quoted.
func (p Path) String() string {
	var b strings.Builder
	for _, e := range p {
		switch {
		case e.isIndex:
			b.WriteString("[" + strconv.Itoa(e.index) + "]")
		case !e.isKey && (plainNameRE.MatchString(e.name) || e.isDef && ast.IsValidIdent(e.name)):
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

// ParsePath reads a path written by String, or by hand in the same manner: names bare after a
// dot (anything up to the next '.' or '['), Go-quoted in brackets, indices in brackets.
// String(ParsePath(s)) is s for every path String writes.
func ParsePath(s string) (Path, bool) {
	var out Path
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
			// A name that could be written bare was a map key.
			out = append(out, PathElem{name: name, isKey: plainNameRE.MatchString(name)})
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
			out = append(out, PathElem{index: n, isIndex: true})
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
			out = append(out, PathElem{name: name, isDef: strings.HasPrefix(name, "#") && ast.IsValidIdent(name)})
			i += end
		}
	}
	return out, true
}
