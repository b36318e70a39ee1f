package description

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"cuelang.org/go/cue"

	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/schema"
)

// Decode checks the loaded description against the schema and returns it with the schema's
// defaults filled in. Every schema violation is reported, not only the first.
//
// The cluster's own fields are unified with #ClusterBase; each host is unified with #Host on
// its own, on all cores. For thousands of hosts this is several times faster, and lighter, than
// one unification of the whole description with #Cluster, and it reports the same problems.
func Decode(src *Source) (*Cluster, diag.List) {
	sch := src.ctx.CompileBytes(schema.Source(), cue.Filename(schema.Filename))
	if err := sch.Err(); err != nil {
		return nil, diag.List{{Severity: diag.Error, Summary: "embedded schema: " + err.Error()}}
	}
	if k := src.value.IncompleteKind(); k != cue.StructKind {
		return nil, diag.List{{Severity: diag.Error, Pos: src.Pos(), Summary: "the description must be a mapping, got " + kindName(k)}}
	}
	base := src.value.Unify(sch.LookupPath(cue.MakePath(cue.Def("#ClusterBase"))))
	var diags diag.List
	if err := base.Validate(cue.Concrete(true)); err != nil {
		diags = append(diags, src.diagnostics(err)...)
		diags = append(diags, src.missingFields(src.value, compiledSchema().LookupPath(cue.MakePath(cue.Def("#ClusterBase"))), nil, "hosts")...)
	}

	var c Cluster
	if !diags.HasErrors() {
		if err := decodeFields(base, &c); err != nil {
			diags = append(diags, diag.Diagnostic{Severity: diag.Error, Pos: src.Pos(), Summary: "decoding: " + err.Error()})
		}
	}

	hostList, err := src.value.LookupPath(cue.ParsePath("hosts")).List()
	if err != nil {
		return nil, tidy(diags)
	}
	var hostValues []cue.Value
	for hostList.Next() {
		hostValues = append(hostValues, hostList.Value())
	}
	hosts, hostDiags := decodeHosts(src, sch.LookupPath(cue.MakePath(cue.Def("#Host"))), hostValues)
	diags = append(diags, hostDiags...)
	if diags.HasErrors() {
		return nil, tidy(diags)
	}
	c.Hosts = hosts
	return &c, tidy(diags)
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
	return strictUnmarshal(b, c)
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func decodeHosts(src *Source, hostDef cue.Value, values []cue.Value) ([]Host, diag.List) {
	hosts := make([]Host, len(values))
	perHost := make([]diag.List, len(values))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(values)/64))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(values); i += workers {
				h := values[i].Unify(hostDef)
				if err := h.Validate(cue.Concrete(true)); err != nil {
					perHost[i] = append(src.diagnostics(err), src.missingFields(values[i], compiledSchema().LookupPath(cue.MakePath(cue.Def("#Host"))), fieldPath{{name: "hosts"}, {index: i, isIndex: true}}, "")...)
					continue
				}
				b, err := h.MarshalJSON()
				if err == nil {
					err = strictUnmarshal(b, &hosts[i])
				}
				if err != nil {
					perHost[i] = diag.List{{Severity: diag.Error, Pos: src.Pos(cue.Str("hosts"), cue.Index(i)),
						Path: fmt.Sprintf("hosts[%d]", i), Summary: "decoding: " + err.Error()}}
				}
			}
		}()
	}
	wg.Wait()
	var diags diag.List
	for _, d := range perHost {
		diags = append(diags, d...)
	}
	return hosts, diags
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
