package description

import (
	"slices"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"

	"kubeforge.dev/kubeforge/schema"
)

// compiledSchema is the schema compiled in one context, to explain errors (field names,
// kinds, docs) and for the schema/Go drift test. Checking a description compiles the schema
// into that description's own context (values of different contexts cannot be unified).
var compiledSchema = sync.OnceValue(func() cue.Value {
	v := cuecontext.New().CompileBytes(schema.Source(), cue.Filename(schema.Filename))
	if v.Err() != nil {
		panic("embedded schema does not compile: " + v.Err().Error())
	}
	return v
})

// schemaChild returns the schema of the field or element e of the schema value v: a field
// (regular or optional), a list element, or a map value (pattern constraint).
func schemaChild(v cue.Value, e PathElem) cue.Value {
	if e.isIndex {
		return listElem(v, e.index)
	}
	for _, sel := range []cue.Selector{cue.Str(e.name), cue.Str(e.name).Optional()} {
		if f := v.LookupPath(cue.MakePath(sel)); f.Exists() {
			return f
		}
	}
	if v.IncompleteKind()&cue.StructKind == 0 || !v.Allows(cue.Str(e.name)) {
		return cue.Value{}
	}
	// A map: what its pattern constraints make of a field of that name (a lookup of
	// cue.AnyString finds only [string] patterns).
	return v.FillPath(cue.MakePath(cue.Str(e.name)), v.Context().CompileString("_")).LookupPath(cue.MakePath(cue.Str(e.name)))
}

// listElem returns the schema of element i of the schema list v; of a list that has a default
// (*[...] | [...]) or is a conjunction, the element of the alternative (or conjunct) that has
// one, the last first (a default comes first).
func listElem(v cue.Value, i int) cue.Value {
	if el := v.LookupPath(cue.MakePath(cue.Index(i))); el.Exists() {
		return el
	}
	if el := v.LookupPath(cue.MakePath(cue.AnyIndex)); el.Exists() {
		return el
	}
	if op, args := v.Expr(); op == cue.OrOp || op == cue.AndOp {
		for _, a := range slices.Backward(args) {
			if el := listElem(a, i); el.Exists() {
				return el
			}
		}
	}
	return cue.Value{}
}

// schemaAt returns the schema's definition of the field at path, or a value that does not
// exist when the schema has no such field.
func schemaAt(path Path) cue.Value {
	v := compiledSchema().LookupPath(cue.MakePath(cue.Def("#Cluster")))
	for _, e := range path {
		v = schemaChild(v, e)
		if !v.Exists() {
			return v
		}
	}
	return v
}

// schemaFieldsAt lists the field names the schema allows at path.
func schemaFieldsAt(path Path) []string {
	v := schemaAt(path)
	if !v.Exists() {
		return nil
	}
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	var names []string
	for it.Next() {
		names = append(names, it.Selector().Unquoted())
	}
	slices.Sort(names)
	return names
}

// isRequired reports whether a schema field must be written: it is not optional, has no
// default, and is not a value the schema fixes (apiVersion) or a struct it fills in.
func isRequired(sel cue.Selector, f cue.Value) bool {
	if sel.ConstraintType() == cue.OptionalConstraint {
		return false
	}
	d, hasDefault := f.Default()
	switch f.IncompleteKind() {
	case cue.StructKind:
		return false
	case cue.ListKind:
		// A list the schema gives a first element of, like [#IP, ...#IP] (whose "default" is
		// [#IP], not concrete), unless a concrete default list stands in.
		if hasDefault && d.Validate(cue.Concrete(true)) == nil {
			return false
		}
		return f.LookupPath(cue.MakePath(cue.Index(0))).Exists()
	}
	return !hasDefault && !f.IsConcrete()
}

// fieldDoc returns the schema's comment on a field, on one line, to be read after a summary:
// starting lower-case, without a final period.
func fieldDoc(f cue.Value) string {
	var parts []string
	for _, cg := range f.Doc() {
		parts = append(parts, strings.Join(strings.Fields(cg.Text()), " "))
	}
	doc := strings.TrimSuffix(strings.Join(parts, " "), ".")
	if len(doc) > 1 && doc[0] >= 'A' && doc[0] <= 'Z' && doc[1] >= 'a' && doc[1] <= 'z' {
		doc = strings.ToLower(doc[:1]) + doc[1:]
	}
	return doc
}

// mapKeys describes, for the schema's maps whose keys are constrained, what a key must look
// like; a test checks it against the schema.
var mapKeys = map[string]struct {
	rule  string
	names []string
}{
	"labels":         {rule: "a label key is an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"},
	"extraArgs":      {rule: "a flag name is written without its leading dashes: lower-case letters, digits and '-'"},
	"sysctls":        {rule: "a sysctl name is lower-case letters, digits, '_', '.' and '-', such as net.ipv4.ip_forward"},
	"groups":         {rule: "a group name is a DNS label: lower-case letters, digits and '-'"},
	"systemReserved": {names: []string{"cpu", "ephemeral-storage", "memory", "pid"}},
	"kubeReserved":   {names: []string{"cpu", "ephemeral-storage", "memory", "pid"}},
}

// InSchema reports whether the path names a field the schema's #Cluster defines: each name a
// field, or a key its map allows; each index an element of a list.
func InSchema(p Path) bool {
	return len(p) > 0 && schemaAt(p).Exists()
}
