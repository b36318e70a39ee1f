package description

import (
	"slices"
	"strconv"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"

	"kubeforge.dev/kubeforge/schema"
)

// compiledSchema is the schema compiled in one context, for field suggestions and for the
// schema/Go drift test. Checking a description compiles the schema into that description's
// own context (values of different contexts cannot be unified).
var compiledSchema = sync.OnceValue(func() cue.Value {
	v := cuecontext.New().CompileBytes(schema.Source(), cue.Filename(schema.Filename))
	if v.Err() != nil {
		panic("embedded schema does not compile: " + v.Err().Error())
	}
	return v
})

// schemaAt returns the schema's definition of the field at path (list indices and map keys
// resolve to the element definition).
func schemaAt(path []string) cue.Value {
	v := compiledSchema().LookupPath(cue.MakePath(cue.Def("#Cluster")))
	for _, p := range path {
		var next cue.Value
		if _, err := strconv.Atoi(p); err == nil {
			next = v.LookupPath(cue.MakePath(cue.AnyIndex))
		} else {
			next = v.LookupPath(cue.MakePath(cue.Str(p).Optional()))
			if !next.Exists() {
				next = v.LookupPath(cue.MakePath(cue.Str(p)))
			}
			if !next.Exists() {
				next = v.LookupPath(cue.MakePath(cue.AnyString))
			}
		}
		if !next.Exists() {
			return cue.Value{}
		}
		v = next
	}
	return v
}

// schemaFieldsAt lists the field names the schema allows at path.
func schemaFieldsAt(path []string) []string {
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
