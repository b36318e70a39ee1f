package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/encoding/jsonschema"
)

// JSONSchemaDraft is the JSON Schema version JSONSchema produces: draft-07, the newest that the
// YAML language server (and so most editors) fully supports.
const JSONSchemaDraft = "http://json-schema.org/draft-07/schema#"

// errorAlternativeRE matches the schema's `| error("...")` alternatives, which JSON Schema
// cannot say (CUE's generator turns them into `false`); the generated schema accepts and
// rejects the same documents without them.
var errorAlternativeRE = regexp.MustCompile(`\s*\|\s*error\("(?:[^"\\]|\\.)*"\)`)

// JSONSchema returns the JSON Schema of a description (#Cluster), generated from the CUE schema
// by CUE's own generator and rewritten for editors: draft-07 keywords, objects that CUE builds
// by unification ($ref plus fields) merged into one, and the schema's defaults as `default`.
func JSONSchema() ([]byte, error) {
	ctx := cuecontext.New()
	v := ctx.CompileBytes(errorAlternativeRE.ReplaceAll(source, nil), cue.Filename(Filename))
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	cluster := v.LookupPath(cue.MakePath(cue.Def("#Cluster")))
	expr, err := jsonschema.Generate(cluster, &jsonschema.GenerateConfig{})
	if err != nil {
		return nil, fmt.Errorf("generating JSON Schema: %w", err)
	}
	generated, err := ctx.BuildExpr(expr).MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("generating JSON Schema: %w", err)
	}
	var root map[string]any
	if err := json.Unmarshal(generated, &root); err != nil {
		return nil, err
	}
	d := &draft07{defs: asMap(root["$defs"])}
	delete(root, "$defs")
	root = d.node(root).(map[string]any)
	addDefaults(root, cluster, d.defs)
	root["$schema"] = JSONSchemaDraft
	root["title"] = "kubeforge cluster description (" + APIVersion() + ")"
	root["description"] = "A cluster for kubeforge to compile. `kubeforge schema` prints the CUE schema this is generated from, with every field's documentation; `kubeforge validate` also runs the cross-field checks JSON Schema cannot express."
	if defs := d.referenced(root); len(defs) > 0 {
		root["definitions"] = defs
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// draft07 rewrites a draft 2020-12 schema from CUE's generator into draft-07.
type draft07 struct {
	// defs holds the definitions, rewritten as they are first needed.
	defs map[string]any
	done map[string]bool
}

const (
	defsPrefix07   = "#/definitions/"
	defsPrefix2020 = "#/$defs/"
)

// referenced returns the definitions root refers to, directly or through other definitions.
func (d *draft07) referenced(root map[string]any) map[string]any {
	out := map[string]any{}
	var walk func(n any)
	walk = func(n any) {
		switch n := n.(type) {
		case []any:
			for _, x := range n {
				walk(x)
			}
		case map[string]any:
			for k, v := range n {
				if r, ok := v.(string); ok && k == "$ref" {
					name := strings.TrimPrefix(r, defsPrefix07)
					if _, seen := out[name]; !seen && d.defs[name] != nil {
						out[name] = d.defs[name]
						walk(d.defs[name])
					}
					continue
				}
				walk(v)
			}
		}
	}
	walk(root)
	return out
}

// node returns the draft-07 form of a schema node.
func (d *draft07) node(n any) any {
	switch n := n.(type) {
	case []any:
		out := make([]any, len(n))
		for i, x := range n {
			out[i] = d.node(x)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, v := range n {
			switch k {
			case "properties", "patternProperties", "definitions":
				props := map[string]any{}
				for name, p := range asMap(v) {
					props[name] = d.node(p)
				}
				out[k] = props
			case "$ref":
				out[k] = d.ref(v.(string))
			default:
				out[k] = d.node(v)
			}
		}
		dropPrefixItems(out)
		dropFalseAlternatives(out)
		if _, ok := out["$ref"]; ok && len(out) > 1 {
			return d.mergeRef(out)
		}
		return out
	}
	return n
}

// ref rewrites a reference to a definition, converting the definition on first use.
func (d *draft07) ref(r string) string {
	name, ok := strings.CutPrefix(r, defsPrefix2020)
	if !ok {
		return r
	}
	if d.done == nil {
		d.done = map[string]bool{}
	}
	if !d.done[name] {
		d.done[name] = true
		d.defs[name] = d.node(d.defs[name])
	}
	return defsPrefix07 + name
}

// mergeRef handles a node with a $ref and other keywords. Draft-07 ignores a $ref's siblings,
// and an object that CUE wrote as "#Def & {more fields}" has additionalProperties: false on
// each part, which in JSON Schema rejects the other part's fields: such an object becomes one
// object with the fields of both. Anything else keeps its keywords with the $ref under allOf.
func (d *draft07) mergeRef(n map[string]any) any {
	name, _ := strings.CutPrefix(n["$ref"].(string), defsPrefix07)
	target := asMap(d.defs[name])
	if _, ok := n["properties"]; !ok || target == nil || target["properties"] == nil {
		ref := map[string]any{"$ref": n["$ref"]}
		delete(n, "$ref")
		n["allOf"] = append(asSlice(n["allOf"]), ref)
		return n
	}
	out := maps.Clone(target)
	delete(out, "description")
	props := maps.Clone(asMap(target["properties"]))
	for k, p := range asMap(n["properties"]) {
		switch have, ok := props[k]; {
		case !ok:
			props[k] = p
		case p == true: // `_`: the definition's constraint stands alone
		default:
			props[k] = map[string]any{"allOf": []any{have, p}}
		}
	}
	out["properties"] = props
	required := slices.Concat(asSlice(target["required"]), asSlice(n["required"]))
	if len(required) > 0 {
		slices.SortFunc(required, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
		out["required"] = slices.Compact(required)
	}
	for k, v := range n {
		switch k {
		case "$ref", "properties", "required":
		default:
			out[k] = v
		}
	}
	return out
}

// dropPrefixItems removes draft 2020-12's prefixItems where each is the same as items, or
// anything (CUE's `[X, ...X]` and `[_, ...]`: minItems already says there is one); otherwise
// they become draft-07's tuple form.
func dropPrefixItems(n map[string]any) {
	prefix, ok := n["prefixItems"].([]any)
	if !ok {
		return
	}
	delete(n, "prefixItems")
	if slices.ContainsFunc(prefix, func(p any) bool { return p != true && !reflect.DeepEqual(p, n["items"]) }) {
		if items, ok := n["items"]; ok {
			n["additionalItems"] = items
		}
		n["items"] = prefix
	}
}

// dropFalseAlternatives removes `false` from anyOf (what CUE makes of error("...")), and
// unwraps an anyOf left with one alternative.
func dropFalseAlternatives(n map[string]any) {
	alts, ok := n["anyOf"].([]any)
	if !ok {
		return
	}
	alts = slices.DeleteFunc(slices.Clone(alts), func(a any) bool { return a == false })
	if len(alts) != 1 {
		n["anyOf"] = alts
		return
	}
	delete(n, "anyOf")
	only := asMap(alts[0])
	for k := range only {
		if _, clash := n[k]; clash {
			n["allOf"] = append(asSlice(n["allOf"]), only)
			return
		}
	}
	maps.Copy(n, only)
}

// addDefaults sets `default` on each property whose CUE field has a concrete default, so that
// editors show and complete it.
func addDefaults(root map[string]any, v cue.Value, defs map[string]any) {
	seen := map[string]bool{}
	var walk func(n map[string]any, v cue.Value)
	walk = func(n map[string]any, v cue.Value) {
		if ref, ok := n["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, defsPrefix07)
			if !seen[name] {
				seen[name] = true
				walk(asMap(defs[name]), v)
			}
		}
		for _, part := range asSlice(n["allOf"]) {
			walk(asMap(part), v)
		}
		for name, p := range asMap(n["properties"]) {
			prop := asMap(p)
			field := v.LookupPath(cue.MakePath(cue.Str(name)))
			if prop == nil || !field.Exists() {
				continue
			}
			if def, ok := field.Default(); ok && def.IsConcrete() && def.Kind() != cue.StructKind {
				var x any
				if b, err := def.MarshalJSON(); err == nil && json.Unmarshal(b, &x) == nil {
					prop["default"] = x
				}
			}
			walk(prop, field)
		}
	}
	walk(root, v)
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
