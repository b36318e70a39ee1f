package description

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/schema"
)

// CUE's messages, which kubeforge rewords; anything else is a message of the schema's own
// (its error("...") calls) or one CUE words clearly enough.
var (
	conflictRE = regexp.MustCompile(`^conflicting values (.+?) and (.+?)(?: \(mismatched types (\w+) and (\w+)\))?$`)
	disjRE     = regexp.MustCompile(`^\d+ errors in empty disjunction:?$`)
	listLenRE  = regexp.MustCompile(`^incompatible list lengths \((\d+) and (\d+)\)$`)
	boundRE    = regexp.MustCompile(`^invalid value .+ \(out of bound (<=|>=|<|>|=~|!~|!=)(.+)\)$`)
	notSatRE   = regexp.MustCompile(`^invalid value .+ \(does not satisfy (.+)\)$`)
)

// cueError is one CUE error, reduced to what the rewording needs.
type cueError struct {
	msg       string
	positions []token.Pos
}

// diagnostics turns CUE's errors into kubeforge diagnostics: one per field, positioned in the
// user's file, worded for a person (CUE's raw output is never shown as is).
func (s *Source) diagnostics(err error) diag.List {
	type group struct {
		path Path
		errs []cueError
	}
	var order []string
	groups := map[string]*group{}
	for _, e := range cueerrors.Errors(err) {
		p := errPath(e.Path())
		key := p.String()
		g, ok := groups[key]
		if !ok {
			g = &group{path: p}
			groups[key] = g
			order = append(order, key)
		}
		format, args := e.Msg()
		g.errs = append(g.errs, cueError{msg: fmt.Sprintf(format, args...), positions: cueerrors.Positions(e)})
	}
	var out diag.List
	for _, key := range order {
		g := groups[key]
		if d, ok := s.groupDiagnostic(g.path, g.errs); ok {
			out = append(out, d)
		}
	}
	return withoutInsideWrongKind(out)
}

// withoutInsideWrongKind drops the diagnostics of fields inside a value of the wrong kind: a
// list written where a mapping belongs makes CUE also try its elements as the mapping's
// fields, which says nothing the wrong kind does not.
func withoutInsideWrongKind(ds diag.List) diag.List {
	var wrong []string
	for _, d := range ds {
		if d.Code == diag.CodeWrongKind {
			wrong = append(wrong, d.Path)
		}
	}
	return slices.DeleteFunc(ds, func(d diag.Diagnostic) bool {
		return slices.ContainsFunc(wrong, func(p string) bool {
			return strings.HasPrefix(d.Path, p+".") || strings.HasPrefix(d.Path, p+"[")
		})
	})
}

// groupDiagnostic words the errors CUE reports for one field as one diagnostic; false when
// they say nothing a person needs (an incomplete list element whose list is reported).
func (s *Source) groupDiagnostic(path Path, errs []cueError) (diag.Diagnostic, bool) {
	var msgs []string
	for _, e := range errs {
		if !disjRE.MatchString(e.msg) {
			msgs = append(msgs, e.msg)
		}
	}
	if len(msgs) == 0 {
		// Only "no alternative of a disjunction matched": the alternatives' own errors, at
		// deeper paths, say why.
		return diag.Diagnostic{}, false
	}
	for _, m := range msgs {
		switch {
		case m == "field not allowed":
			return s.unknownField(path), true
		case strings.HasPrefix(m, "incomplete value") || strings.Contains(m, "required but not present"):
			return s.incomplete(path, m)
		}
	}
	user := s.lookup(path)
	written := jsonOf(user)
	if written == "" {
		// A CUE description that imports the schema fails while being built: the value at
		// path is the error; the literal all alternatives conflicted with is the user's.
		written = commonLiteral(msgs)
	}
	d := diag.Diagnostic{Code: diag.CodeInvalidValue, Severity: diag.Error, Path: path.String(), Pos: s.errorPos(path, errs, written)}

	// The user's value is of a kind the schema does not take: say so rather than list what the
	// value conflicts with (which may be a default).
	if want, got, ok := kindMismatch(user, schemaAt(path)); ok {
		d.Code, d.Summary = diag.CodeWrongKind, fmt.Sprintf("expected %s, got %s", kindName(want), kindName(got))
		d.Detail = "the value written is " + describe(user) + hint(user, want)
		return d, true
	}
	if d2, ok := s.userConflict(d, errs); ok {
		return d2, true
	}
	switch {
	case user.Err() == nil:
		d.Summary = "invalid value " + describe(user)
	case written != "":
		d.Summary = "invalid value " + bounded(written)
	default:
		d.Summary = "invalid value"
	}
	var custom, bound string
	var alternatives []string
	var lists []string // the two lengths of a list length conflict
	for _, m := range msgs {
		switch cm, bm, nm, lm := conflictRE.FindStringSubmatch(m), boundRE.FindStringSubmatch(m), notSatRE.FindStringSubmatch(m), listLenRE.FindStringSubmatch(m); {
		case cm != nil && cm[3] == "":
			alt := cm[1]
			if alt == written {
				alt = cm[2]
			}
			alternatives = append(alternatives, alt)
		case cm != nil:
			// A kind conflict with a default that is not the user's kind error; ignore.
		case bm != nil:
			bound = boundDetail(bm[1], bm[2])
		case nm != nil:
			bound = "must satisfy " + nm[1]
		case lm != nil:
			lists = append(lists, lm[1], lm[2])
		default:
			custom = m
		}
	}
	switch {
	case custom != "":
		d.Detail = custom
	case bound != "":
		d.Detail = bound
	case len(alternatives) > 0:
		slices.Sort(alternatives)
		alternatives = slices.Compact(alternatives)
		if len(alternatives) == 1 {
			d.Detail = "must be " + alternatives[0]
			break
		}
		d.Detail = "expected one of " + strings.Join(alternatives, ", ")
		given := unquote(written)
		if alias, ok := aliases[given]; ok && slices.Contains(alternatives, strconv.Quote(alias)) {
			d.Detail += fmt.Sprintf("; kubeforge calls %q %q", given, alias)
		} else if best := closest(given, mapSlice(alternatives, unquote)); best != "" {
			d.Detail += fmt.Sprintf("; did you mean %q?", best)
		}
	case len(lists) > 0:
		// CUE gives both lengths, the user's and the schema's, in either order.
		n, _ := user.Len().Int64()
		need := lists[0]
		if need == strconv.FormatInt(n, 10) {
			need = lists[1]
		}
		if n == 0 {
			d.Summary = "the list is empty"
		} else {
			d.Summary = fmt.Sprintf("the list has %d elements", n)
		}
		d.Code, d.Detail = diag.CodeListTooShort, "expected at least "+need
		d.Pos = s.keyPos(path)
	case len(msgs) > 0:
		d.Summary = msgs[0]
	}
	return d, true
}

func boundDetail(op, limit string) string {
	switch op {
	case "<=":
		return "must be at most " + limit
	case ">=":
		return "must be at least " + limit
	case "<":
		return "must be less than " + limit
	case ">":
		return "must be greater than " + limit
	case "!=":
		if limit == `""` {
			return "must not be empty"
		}
		return "must not be " + limit
	case "=~":
		return "must match the pattern " + limit
	}
	return "must not match the pattern " + limit
}

// userConflict reports two different values the user gave one field (in one CUE file, or in
// two files that unify).
func (s *Source) userConflict(d diag.Diagnostic, errs []cueError) (diag.Diagnostic, bool) {
	if len(errs) != 1 {
		// Several alternatives failed: an enumeration, not two values of the user's.
		return d, false
	}
	m := conflictRE.FindStringSubmatch(errs[0].msg)
	if m == nil {
		return d, false
	}
	var at []diag.Position
	for _, p := range errs[0].positions {
		pos := s.position(p)
		switch {
		case p.Filename() == schema.Filename:
			return d, false
		case s.isUserFile(pos.File) && !slices.Contains(at, pos):
			at = append(at, pos)
		}
	}
	if len(at) < 2 {
		return d, false
	}
	slices.SortFunc(at, func(a, b diag.Position) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	where := make([]string, len(at))
	for i, p := range at {
		where[i] = p.String()
	}
	d.Pos = at[0]
	d.Code, d.Summary = diag.CodeConflictingValues, fmt.Sprintf("conflicting values %s and %s", m[1], m[2])
	d.Detail = "the field is given different values at " + strings.Join(where, " and ")
	return d, true
}

// incomplete reports a field without a value: missing, or (in CUE) not concrete.
func (s *Source) incomplete(path Path, msg string) (diag.Diagnostic, bool) {
	if missing, ok := s.absentPrefix(path); ok {
		if missing[len(missing)-1].isIndex {
			// An empty list: its length error says it.
			return diag.Diagnostic{}, false
		}
		return s.missingField(missing), true
	}
	v := s.value.LookupPath(cue.MakePath(path.selectors()...))
	return diag.Diagnostic{Code: diag.CodeNotConcrete, Severity: diag.Error, Path: path.String(), Pos: s.valuePos(path),
		Summary: "the value is not concrete",
		Detail:  fmt.Sprintf("it is %v; a description must give every field a concrete value", v)}, true
}

// missingField reports a required field the user did not write, at its parent.
func (s *Source) missingField(path Path) diag.Diagnostic {
	return diag.Diagnostic{Code: diag.CodeMissingField, Severity: diag.Error, Path: path.String(), Pos: s.keyPos(path[:len(path)-1]),
		Summary: fmt.Sprintf("missing required field %q", path.last()), Detail: fieldDoc(schemaAt(path))}
}

// absentPrefix returns the shortest prefix of path the user's value does not have.
func (s *Source) absentPrefix(path Path) (Path, bool) {
	for i := 1; i <= len(path); i++ {
		if !s.value.LookupPath(cue.MakePath(path[:i].selectors()...)).Exists() {
			return path[:i], true
		}
	}
	return nil, false
}

// unknownField reports the outermost field of path the schema does not know (CUE may report
// a field nested inside it), with the nearest known name.
func (s *Source) unknownField(path Path) diag.Diagnostic {
	v := compiledSchema().LookupPath(cue.MakePath(cue.Def("#Cluster")))
	for i, e := range path {
		c := schemaChild(v, e)
		if !c.Exists() {
			path = path[:i+1]
			break
		}
		v = c
	}
	d := diag.Diagnostic{Code: diag.CodeUnknownField, Severity: diag.Error, Path: path.String(), Pos: s.keyPos(path)}
	name := path.last()
	parent := path[:len(path)-1]
	if mk, ok := mapKeys[parent.last()]; ok && len(schemaFieldsAt(parent)) == 0 {
		d.Code, d.Summary = diag.CodeInvalidKey, fmt.Sprintf("invalid key %q", name)
		d.Detail = mk.rule
		if mk.names != nil {
			d.Detail = "expected one of " + strings.Join(mk.names, ", ")
			if best := closest(name, mk.names); best != "" {
				d.Detail += fmt.Sprintf("; did you mean %q?", best)
			}
		}
		return d
	}
	d.Summary = fmt.Sprintf("unknown field %q", name)
	known := schemaFieldsAt(parent)
	switch best := closest(name, known); {
	case len(known) == 0:
		d.Detail = "this field is not part of the schema"
	case best != "":
		d.Detail = fmt.Sprintf("did you mean %q?", best)
	default:
		d.Detail = "known fields here: " + strings.Join(known, ", ")
	}
	return d
}

// errorPos picks where to point for an error at path: at the user's value there, or, when that
// is the error itself (a CUE description reaching the schema through a reference), at the
// first of the errors' positions in the user's files that holds the literal written; failing
// all, at the field's nearest written ancestor.
func (s *Source) errorPos(path Path, errs []cueError, literal string) diag.Position {
	if v := s.lookup(path); v.Exists() && v.Err() == nil {
		if pos := s.valuePos(path); pos.File != "" {
			return pos
		}
	}
	var first diag.Position
	for _, e := range errs {
		for _, p := range e.positions {
			pos := s.position(p)
			if pos.File == "" || !s.isUserFile(pos.File) {
				continue
			}
			if literal != "" && s.textAt(pos, literal) {
				return pos
			}
			if first.File == "" {
				first = pos
			}
		}
	}
	if first.File != "" {
		return first
	}
	return s.valuePos(path)
}

// textAt reports whether the user's file has the literal (CUE-quoted or not) at pos.
func (s *Source) textAt(pos diag.Position, literal string) bool {
	line, ok := s.Files.Line(pos.File, pos.Line)
	if !ok || pos.Column < 1 || pos.Column > len(line) {
		return false
	}
	rest := line[pos.Column-1:]
	return strings.HasPrefix(rest, literal) || strings.HasPrefix(rest, unquote(literal))
}

// commonLiteral returns the value found in every one of several conflicts (the user's, which
// each alternative of an enumeration conflicts with), or "".
func commonLiteral(msgs []string) string {
	count := map[string]int{}
	n := 0
	for _, m := range msgs {
		if cm := conflictRE.FindStringSubmatch(m); cm != nil && cm[3] == "" {
			n++
			count[cm[1]]++
			if cm[2] != cm[1] {
				count[cm[2]]++
			}
		}
	}
	for lit, c := range count {
		if n >= 2 && c == n {
			return lit
		}
	}
	return ""
}

// kindMismatch reports whether the user's value is of no kind the schema takes there.
func kindMismatch(user, sch cue.Value) (want, got cue.Kind, ok bool) {
	if !user.Exists() || !sch.Exists() {
		return 0, 0, false
	}
	got, want = user.IncompleteKind(), sch.IncompleteKind()
	if got == cue.BottomKind || want == cue.BottomKind || got == cue.TopKind {
		return 0, 0, false
	}
	return want, got, got&want == 0
}

// kindName names a kind (or a set of kinds) for a person.
func kindName(k cue.Kind) string {
	var names []string
	if k&cue.NumberKind == cue.NumberKind {
		names = append(names, "a number")
		k &^= cue.NumberKind
	}
	for _, n := range []struct {
		k    cue.Kind
		name string
	}{
		{cue.IntKind, "an integer"}, {cue.FloatKind, "a decimal number"}, {cue.StringKind, "a string"},
		{cue.BoolKind, "true or false"}, {cue.ListKind, "a list"}, {cue.StructKind, "a mapping"},
		{cue.NullKind, "null"}, {cue.BytesKind, "bytes"},
	} {
		if k&n.k != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, " or ")
}

// describe writes a user's value as they wrote it, for messages.
func describe(v cue.Value) string {
	return bounded(describeValue(v))
}

// maxShown is how much of a value a diagnostic quotes: a value of kilobytes (a hostile path,
// an extra arg) would bury the message.
const maxShown = 80

// bounded returns a written value cut to maxShown bytes (at a character boundary), saying how
// long it was.
func bounded(s string) string {
	if len(s) <= maxShown {
		return s
	}
	cut := maxShown
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	quote := ""
	if strings.HasPrefix(s, `"`) {
		quote = `"`
	}
	return fmt.Sprintf("%s…%s (%d bytes)", s[:cut], quote, len(s))
}

func describeValue(v cue.Value) string {
	switch v.IncompleteKind() {
	case cue.StructKind:
		return "a mapping"
	case cue.ListKind:
		return "a list"
	}
	src := v.Source()
	if f, ok := src.(*ast.Field); ok {
		src = f.Value
	}
	if lit, ok := src.(*ast.BasicLit); ok && lit.Kind != token.STRING {
		return lit.Value
	}
	if j := jsonOf(v); j != "" {
		return j
	}
	return fmt.Sprint(v)
}

// jsonOf returns the JSON of a concrete scalar, "" otherwise.
func jsonOf(v cue.Value) string {
	if !v.IsConcrete() || v.IncompleteKind()&(cue.StructKind|cue.ListKind) != 0 {
		return ""
	}
	b, err := v.MarshalJSON()
	if err != nil {
		return ""
	}
	return string(b)
}

// hint says how to write the value as the kind wanted, when that is plain.
func hint(v cue.Value, want cue.Kind) string {
	s, err := v.String()
	switch {
	case err == nil && want&cue.IntKind != 0 && isInt(s):
		return "; write it without quotes"
	case err == nil && want&cue.BoolKind != 0:
		return "; write true or false"
	case err != nil && want == cue.StringKind && v.IncompleteKind()&(cue.NumberKind|cue.BoolKind) != 0:
		return fmt.Sprintf("; quote it: %q", describe(v))
	}
	return ""
}

func isInt(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
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
