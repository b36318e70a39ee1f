package description

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// The entry rule for every string of a description: each string value, map key and list
// element of the decoded description, whatever its field, is UTF-8 without control characters
// (C0, including tab and line endings, DEL, C1), line or paragraph separators, or bidirectional
// controls. Strings end up in files and command lines that systemd, the kubelet and Ansible
// read, where such a character ends a line, hides text or reorders it. The rule runs on the
// Go types, by reflection, so a field added later is covered without a word; what a field
// must look like beyond this is the schema's.

const stringRuleDetail = "strings of a description go into files and command lines on the hosts: no control, line separator or bidirectional characters"

// stringDiagnostics checks every string reachable from v (a decoded description or a part
// of it at path).
func (s *Source) stringDiagnostics(v any, path Path) diag.List {
	var out diag.List
	w := stringWalker{path: slices.Clone(path), found: func(p Path, str string, isKey bool) {
		problem, bad := stringProblem(str)
		if !bad {
			return
		}
		d := diag.Diagnostic{Code: diag.CodeForbiddenCharacter, Severity: diag.Error, Path: p.String(), Detail: stringRuleDetail}
		if isKey {
			d.Pos, d.Summary = s.keyPos(p), problem+" is not allowed in a key"
		} else {
			d.Pos, d.Summary = s.valuePos(p), problem+" is not allowed in a description string"
		}
		out = append(out, d)
	}}
	w.walk(reflect.ValueOf(v))
	return out
}

// stringWalker calls found with every string under a value: values, and map keys (isKey,
// with the path of their entry). The path is a stack it reuses; found must copy it to keep it.
type stringWalker struct {
	path  Path
	found func(p Path, s string, isKey bool)
}

func (w *stringWalker) walk(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			w.walk(v.Elem())
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" {
				name = t.Field(i).Name
			}
			w.push(PathElem{name: name})
			w.walk(v.Field(i))
			w.pop()
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			w.push(PathElem{name: it.Key().String()})
			w.found(w.path, it.Key().String(), true)
			w.walk(it.Value())
			w.pop()
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			w.push(PathElem{index: i, isIndex: true})
			w.walk(v.Index(i))
			w.pop()
		}
	case reflect.String:
		w.found(w.path, v.String(), false)
	}
}

func (w *stringWalker) push(e PathElem) { w.path = append(w.path, e) }
func (w *stringWalker) pop()            { w.path = w.path[:len(w.path)-1] }

// stringProblem names the first character of s the entry rule refuses, with its byte offset.
func stringProblem(s string) (string, bool) {
	for i := 0; i < len(s); {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return fmt.Sprintf("invalid UTF-8 byte 0x%02x at byte %d", s[i], i), true
		case r < 0x20 || r >= 0x7f && r <= 0x9f:
			return fmt.Sprintf("control character %U at byte %d", r, i), true
		case r == 0x2028 || r == 0x2029:
			return fmt.Sprintf("line or paragraph separator %U at byte %d", r, i), true
		case isBidiControl(r):
			return fmt.Sprintf("bidirectional control character %U at byte %d", r, i), true
		}
		i += n
	}
	return "", false
}
