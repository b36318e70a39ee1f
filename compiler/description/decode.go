package description

import (
	"bytes"
	"encoding/json"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"cuelang.org/go/cue"

	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/compiler/parallel"
	"kubeforge.dev/kubeforge/schema"
)

// schemas is the schema compiled into one description's context (values of different
// contexts cannot be unified), twice: as written, and without its error("...") alternatives.
type schemas struct {
	// full words what is wrong; fast accepts and rejects exactly the same values, but each
	// `X | error("...")` is a disjunction CUE must evaluate, and fast has none. Values are
	// checked with fast, and only those it rejects again with full, for the diagnostics.
	full, fast cue.Value
}

// errorAlternativeRE matches the schema's `| error("...")` alternatives.
var errorAlternativeRE = regexp.MustCompile(`\s*\|\s*error\("(?:[^"\\]|\\.)*"\)`)

// fastSchemaSource returns the schema without its error("...") alternatives.
var fastSchemaSource = sync.OnceValue(func() []byte {
	return errorAlternativeRE.ReplaceAll(schema.Source(), nil)
})

func compileSchemas(ctx *cue.Context) (schemas, error) {
	s := schemas{
		full: ctx.CompileBytes(schema.Source(), cue.Filename(schema.Filename)),
		fast: ctx.CompileBytes(fastSchemaSource(), cue.Filename(schema.Filename)),
	}
	if err := s.full.Err(); err != nil {
		return s, err
	}
	return s, s.fast.Err()
}

func (s schemas) def(name string) (fast, full cue.Value) {
	p := cue.MakePath(cue.Def(name))
	return s.fast.LookupPath(p), s.full.LookupPath(p)
}

// Decode checks the loaded description against the schema and returns it with the schema's
// defaults filled in. Every schema violation is reported, not only the first.
//
// The cluster's own fields are unified with #ClusterBase; each host is unified with #Host on
// its own, on all cores. For thousands of hosts this is several times faster, and lighter, than
// one unification of the whole description with #Cluster, and it reports the same problems.
func Decode(src *Source) (*Cluster, diag.List) {
	c, ds := decode(src)
	return c, src.withEnds(ds)
}

func decode(src *Source) (*Cluster, diag.List) {
	sch, err := compileSchemas(src.ctx)
	if err != nil {
		return nil, diag.List{{Code: diag.CodeInternal, Severity: diag.Error, Summary: "embedded schema: " + err.Error()}}
	}
	if k := src.value.IncompleteKind(); k != cue.StructKind {
		return nil, diag.List{{Code: diag.CodeNotAMapping, Severity: diag.Error, Pos: src.Pos(), Summary: "the description must be a mapping, got " + kindName(k)}}
	}
	fastBase, fullBase := sch.def("#ClusterBase")
	input := src.baseInput()
	base := input.Unify(fastBase)
	var diags diag.List
	if base.Validate(cue.Concrete(true)) != nil {
		if err := input.Unify(fullBase).Validate(cue.Concrete(true)); err != nil {
			diags = append(diags, src.diagnostics(err)...)
		}
		diags = append(diags, src.structureDiagnostics(src.value, compiledSchema().LookupPath(cue.MakePath(cue.Def("#ClusterBase"))), nil, "hosts")...)
		if !diags.HasErrors() {
			// Cannot happen (both schemas reject the same values); never pass silently.
			diags = append(diags, diag.Diagnostic{Code: diag.CodeSchemaMismatch, Severity: diag.Error, Pos: src.Pos(), Summary: "the description does not match the schema"})
		}
	}

	var c Cluster
	if !diags.HasErrors() {
		if err := decodeFields(base, &c); err != nil {
			diags = append(diags, diag.Diagnostic{Code: diag.CodeSchemaMismatch, Severity: diag.Error, Pos: src.Pos(), Summary: "decoding: " + err.Error()})
		} else {
			diags = append(diags, src.stringDiagnostics(&c, nil)...)
		}
	}

	hostList, err := src.value.LookupPath(cue.MakePath(cue.Str("hosts"))).List()
	if err != nil {
		return nil, tidy(diags)
	}
	var hostValues []cue.Value
	for hostList.Next() {
		hostValues = append(hostValues, hostList.Value())
	}
	hosts, hostDiags := decodeHosts(src, sch, hostValues)
	diags = append(diags, hostDiags...)
	if diags.HasErrors() {
		return nil, tidy(diags)
	}
	c.Hosts = hosts
	return &c, tidy(diags)
}

// baseInput returns what is checked against #ClusterBase: the user's value with its hosts list
// cut to the first host. #ClusterBase only asks that there is one, each host is checked on its
// own, and checking the whole list again would cost as much as building it.
func (s *Source) baseInput() cue.Value {
	hosts := s.value.LookupPath(cue.MakePath(cue.Str("hosts")))
	list, err := hosts.List()
	if err != nil || !list.Next() {
		return s.value // no list, or an empty one: the schema says what is wrong
	}
	first := list.Value()
	it, err := s.value.Fields()
	if err != nil {
		return s.value
	}
	out := s.ctx.CompileString("{}")
	for it.Next() {
		v := it.Value()
		if it.Selector().Unquoted() == "hosts" {
			v = s.ctx.NewList(first)
		}
		out = out.FillPath(cue.MakePath(it.Selector()), v)
	}
	return out
}

// decodeFields decodes every field of v but hosts into c. Marshalling to JSON and decoding with
// encoding/json is faster than cue.Value.Decode; unknown fields are errors, so the Go types
// cannot silently lag behind the schema.
func decodeFields(v cue.Value, c *Cluster) error {
	it, err := v.Fields()
	if err != nil {
		return err
	}
	fields := map[string]json.RawMessage{}
	for it.Next() {
		name := it.Selector().Unquoted()
		if name == "hosts" {
			continue
		}
		b, err := it.Value().MarshalJSON()
		if err != nil {
			return err
		}
		fields[name] = b
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	if err := strictUnmarshal(b, c); err != nil {
		return err
	}
	exactSysctls(v, c)
	return nil
}

// exactSysctls keeps the sysctl integers a float64 would round (beyond 2^53; a sysctl value
// decodes as any, so as a float64) as their decimal text, which is what the sysctl file holds.
func exactSysctls(v cue.Value, c *Cluster) {
	it, err := v.LookupPath(cue.MakePath(cue.Str("sysctls"))).Fields()
	if err != nil {
		return
	}
	for it.Next() {
		n, err := it.Value().Int64()
		if err == nil && (n > 1<<53 || n < -(1<<53)) {
			c.Sysctls[it.Selector().Unquoted()] = strconv.FormatInt(n, 10)
		}
	}
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// decodeHosts checks each host against #Host and decodes it, on all cores.
//
// A host is decoded from the user's value, not from its unification with #Host: #Host has no
// defaults (a test keeps it so), so both give the same Go value, and marshalling a value
// unified with a definition costs several times more.
func decodeHosts(src *Source, sch schemas, values []cue.Value) ([]Host, diag.List) {
	fastHost, fullHost := sch.def("#Host")
	hosts := make([]Host, len(values))
	perHost := make([]diag.List, len(values))
	// At least 64 hosts a goroutine: a smaller share costs more to start than it saves.
	workers := min(runtime.GOMAXPROCS(0), len(values)/64)
	parallel.ForWorkers(workers, len(values), func(i int) {
		if values[i].Unify(fastHost).Validate(cue.Concrete(true)) != nil {
			perHost[i] = src.hostDiagnostics(values[i], fullHost, i)
			return
		}
		b, err := values[i].MarshalJSON()
		if err == nil {
			err = strictUnmarshal(b, &hosts[i])
		}
		path := Path{Field("hosts"), Index(i)}
		if err != nil {
			perHost[i] = diag.List{{Code: diag.CodeSchemaMismatch, Severity: diag.Error, Pos: src.valuePos(path),
				Path: path.String(), Summary: "decoding: " + err.Error()}}
			return
		}
		perHost[i] = src.stringDiagnostics(&hosts[i], path)
	})
	var diags diag.List
	for _, d := range perHost {
		diags = append(diags, d...)
	}
	return hosts, diags
}

// hostDiagnostics explains why host i does not match #Host.
func (s *Source) hostDiagnostics(v, fullHost cue.Value, i int) diag.List {
	var out diag.List
	if err := v.Unify(fullHost).Validate(cue.Concrete(true)); err != nil {
		out = s.diagnostics(err)
	}
	path := Path{Field("hosts"), Index(i)}
	out = append(out, s.structureDiagnostics(v, compiledSchema().LookupPath(cue.MakePath(cue.Def("#Host"))), path, "")...)
	if !out.HasErrors() {
		out = append(out, diag.Diagnostic{Code: diag.CodeSchemaMismatch, Severity: diag.Error, Pos: s.valuePos(path), Path: path.String(), Summary: "the host does not match the schema"})
	}
	return out
}

// tidy drops repeated diagnostics (CUE and the required-field walk both report a missing
// field) and a missing field whose misspelling is reported as an unknown field beside it.
func tidy(in diag.List) diag.List {
	type key struct{ path, summary string }
	seen := map[key]bool{}
	suggested := map[string]bool{}
	for _, d := range in {
		if strings.HasPrefix(d.Summary, "unknown field ") && strings.HasPrefix(d.Detail, "did you mean ") {
			parent := strings.TrimSuffix(d.Path, strings.Trim(strings.TrimPrefix(d.Summary, "unknown field "), `"`))
			suggested[parent+strings.Trim(strings.TrimPrefix(d.Detail, "did you mean "), `"?`)] = true
		}
	}
	var out diag.List
	for _, d := range in {
		k := key{d.Path, d.Summary}
		if seen[k] || strings.HasPrefix(d.Summary, "missing required field ") && suggested[d.Path] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	return out
}
