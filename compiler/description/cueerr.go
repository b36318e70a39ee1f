package description

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"

	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/schema"
)

var (
	conflictRE = regexp.MustCompile(`^conflicting values (.+?) and (.+?)(?: \(mismatched types (\w+) and (\w+)\))?$`)
	disjRE     = regexp.MustCompile(`^\d+ errors in empty disjunction:?$`)
	listLenRE  = regexp.MustCompile(`^incompatible list lengths \((\d+) and (\d+)\)$`)
)

// diagnostics turns CUE's errors into kubeforge diagnostics: one per field, positioned in the
// user's file, worded for a person (CUE's raw output is never shown as is).
func (s *Source) diagnostics(err error) diag.List {
	type group struct {
		path []string
		errs []cueerrors.Error
	}
	var order []string
	groups := map[string]*group{}
	for _, e := range cueerrors.Errors(err) {
		key := strings.Join(e.Path(), "\x00")
		g, ok := groups[key]
		if !ok {
			g = &group{path: e.Path()}
			groups[key] = g
			order = append(order, key)
		}
		g.errs = append(g.errs, e)
	}
	var out diag.List
	for _, key := range order {
		g := groups[key]
		out = append(out, s.groupDiagnostic(g.path, g.errs))
	}
	return out
}

func (s *Source) groupDiagnostic(path []string, errs []cueerrors.Error) diag.Diagnostic {
	d := diag.Diagnostic{Severity: diag.Error, Path: FormatPath(path), Pos: s.userPos(path, errs)}
	var alternatives []string
	var given string
	for _, e := range errs {
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		switch m := conflictRE.FindStringSubmatch(msg); {
		case disjRE.MatchString(msg):
			continue
		case msg == "field not allowed":
			name := path[len(path)-1]
			d.Summary = fmt.Sprintf("unknown field %q", name)
			d.Detail = s.suggestField(path)
			return d
		case strings.HasPrefix(msg, "incomplete value") || strings.Contains(msg, "required but not present"):
			d.Summary = fmt.Sprintf("missing required field %q", path[len(path)-1])
			if len(path) > 0 {
				d.Pos = s.Pos(selectors(path[:len(path)-1])...)
			}
			return d
		case m != nil && m[3] != "":
			// Which side is the user's depends on operand order; the type the schema wants is the
			// one that is not a literal.
			want, got := m[4], m[3]
			if isLiteral(m[2]) {
				want, got = m[3], m[4]
			}
			d.Summary = fmt.Sprintf("expected %s, got %s", want, got)
			d.Detail = fmt.Sprintf("the value written is %s", literalOf(m))
			return d
		case m != nil:
			alternatives = append(alternatives, m[1])
			given = m[2]
		case listLenRE.MatchString(msg):
			lm := listLenRE.FindStringSubmatch(msg)
			d.Summary = fmt.Sprintf("the list has %s elements, expected at least %s", lm[1], lm[2])
			return d
		default:
			// A message of our own (the schema's error("...")) or one CUE worded clearly.
			d.Summary = msg
			return d
		}
	}
	if len(alternatives) > 0 {
		slices.Sort(alternatives)
		alternatives = slices.Compact(alternatives)
		d.Summary = fmt.Sprintf("%s is not allowed here", given)
		d.Detail = "expected one of " + strings.Join(alternatives, ", ")
		if alias, ok := aliases[unquote(given)]; ok && slices.Contains(alternatives, strconv.Quote(alias)) {
			d.Detail += fmt.Sprintf("; kubeforge calls %q %q", unquote(given), alias)
		} else if best := closest(unquote(given), mapSlice(alternatives, unquote)); best != "" {
			d.Detail += fmt.Sprintf("; did you mean %q?", best)
		}
		return d
	}
	d.Summary = "invalid value"
	return d
}

func isLiteral(s string) bool {
	if strings.HasPrefix(s, `"`) || s == "true" || s == "false" || s == "null" || strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
		return true
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func literalOf(m []string) string {
	if isLiteral(m[2]) {
		return m[2]
	}
	return m[1]
}

// userPos picks the first position in the user's files; failing that, the written position
// of the field or its nearest ancestor.
func (s *Source) userPos(path []string, errs []cueerrors.Error) diag.Position {
	for _, e := range errs {
		for _, p := range cueerrors.Positions(e) {
			if p.IsValid() && p.Filename() != schema.Filename && s.isUserFile(p.Filename()) {
				return position(p)
			}
		}
	}
	if s.value.Exists() || len(path) > 0 {
		return s.Pos(selectors(path)...)
	}
	for _, e := range errs {
		if p := e.Position(); p.IsValid() {
			return position(p)
		}
	}
	return diag.Position{}
}

// selectors turns an error path (list indices as digits) into CUE selectors.
func selectors(path []string) []cue.Selector {
	sels := make([]cue.Selector, len(path))
	for i, p := range path {
		if n, err := strconv.Atoi(p); err == nil {
			sels[i] = cue.Index(n)
		} else if strings.HasPrefix(p, "#") {
			sels[i] = cue.Def(p)
		} else {
			sels[i] = cue.Str(p)
		}
	}
	return sels
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// FormatPath writes a field path the way a user reads it: hosts[2].kubelet.maxPods.
func FormatPath(path []string) string {
	var b strings.Builder
	for _, p := range path {
		switch _, err := strconv.Atoi(p); {
		case err == nil:
			b.WriteString("[" + p + "]")
		case identRE.MatchString(p):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		default:
			b.WriteString("[" + strconv.Quote(p) + "]")
		}
	}
	return b.String()
}

// suggestField names the schema's field nearest to an unknown one.
func (s *Source) suggestField(path []string) string {
	known := schemaFieldsAt(path[:len(path)-1])
	if len(known) == 0 {
		return "this field is not part of the schema"
	}
	if best := closest(path[len(path)-1], known); best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "known fields here: " + strings.Join(known, ", ")
}

func unquote(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}

func mapSlice(in []string, f func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}

// aliases are names other tools use for values of ours.
var aliases = map[string]string{
	"master": "control-plane",
	"node":   "worker",
	"crio":   "cri-o",
	"docker": "cri-dockerd",
}

// closest returns the candidate within a small edit distance of s, if any.
func closest(s string, candidates []string) string {
	best, bestDist := "", len(s)/3+2
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
