package description

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue"
)

// TestSchemaMatchesGoTypes walks every field of #Cluster (so #ClusterBase, #Host,
// #HostSettings and all they nest) beside the Go type that decodes it, and fails on a field
// one side has and the other does not, or on kinds that cannot decode into each other.
func TestSchemaMatchesGoTypes(t *testing.T) {
	root := compiledSchema().LookupPath(cue.MakePath(cue.Def("#Cluster")))
	w := &driftWalker{t: t}
	w.walk("", root, reflect.TypeFor[Cluster]())
	// A walk that looked at nothing would pass; make sure it went deep.
	for _, p := range []string{"hosts[].kubelet.imageGC.minimumAge", "groups[*].taints[].effect", "etcd.external.endpoints[]", "firewall.extraPorts[].port"} {
		if !slices.Contains(w.seen, p) {
			t.Errorf("the walk did not reach %s", p)
		}
	}
	if len(w.seen) < 100 {
		t.Errorf("the walk compared only %d fields", len(w.seen))
	}
}

type driftWalker struct {
	t    *testing.T
	seen []string
}

func (w *driftWalker) walk(path string, v cue.Value, typ reflect.Type) {
	w.seen = append(w.seen, path)
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	kind := v.IncompleteKind()
	switch {
	case kind == cue.StructKind && typ.Kind() == reflect.Struct:
		w.structFields(path, v, typ)
	case kind == cue.StructKind && typ.Kind() == reflect.Map:
		if typ.Key().Kind() != reflect.String {
			w.t.Errorf("%s: Go map key is %s, want string", path, typ.Key())
		}
		if fields := fieldNames(v); len(fields) > 0 {
			w.t.Errorf("%s: the schema has fields %v but Go has a map", path, fields)
		}
		w.walk(path+"[*]", mapElem(v), typ.Elem())
	case kind == cue.ListKind && typ.Kind() == reflect.Slice:
		w.walk(path+"[]", listElem(v, 0), typ.Elem())
	case typ.Kind() == reflect.Interface:
		// A field of several kinds (a port number or range, a sysctl string or number).
		if bits := kind &^ cue.BottomKind; bits == cue.StringKind || bits == cue.IntKind || bits == cue.BoolKind {
			w.t.Errorf("%s: Go has %s for a field of the single kind %v", path, typ, kind)
		}
	case kind == cue.StringKind && typ.Kind() == reflect.String,
		kind == cue.IntKind && typ.Kind() == reflect.Int,
		kind == cue.BoolKind && typ.Kind() == reflect.Bool:
	default:
		w.t.Errorf("%s: schema kind %v does not decode into Go %s", path, kind, typ)
	}
}

// structFields compares a schema struct's fields (regular and optional) with the json tags of
// a Go struct, and walks the fields both have.
func (w *driftWalker) structFields(path string, v cue.Value, typ reflect.Type) {
	goFields := map[string]reflect.Type{}
	// The fields of an embedded struct are the outer struct's, as encoding/json reads them.
	for _, f := range reflect.VisibleFields(typ) {
		if f.Anonymous && f.Tag.Get("json") == "" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			w.t.Errorf("%s: Go field %s.%s has no json name", path, typ.Name(), f.Name)
			continue
		}
		goFields[name] = f.Type
	}
	cueFields := fieldNames(v)
	for _, name := range cueFields {
		ft, ok := goFields[name]
		if !ok {
			w.t.Errorf("%s: schema field %q has no Go field in %s", path, name, typ.Name())
			continue
		}
		w.walk(strings.TrimPrefix(path+"."+name, "."), schemaChild(v, PathElem{name: name}), ft)
	}
	for name := range goFields {
		if !slices.Contains(cueFields, name) {
			w.t.Errorf("%s: Go field %q of %s is not in the schema", path, name, typ.Name())
		}
	}
}

// mapElem returns the schema of the values of the map v, for a key it allows.
func mapElem(v cue.Value) cue.Value {
	for _, key := range []string{"a", "cpu"} {
		if e := schemaChild(v, PathElem{name: key}); e.Exists() {
			return e
		}
	}
	return cue.Value{}
}

func fieldNames(v cue.Value) []string {
	var names []string
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	for it.Next() {
		names = append(names, it.Selector().Unquoted())
	}
	return names
}

// TestMapKeysMatchSchema checks the key descriptions used in diagnostics against the schema:
// every constrained map of the schema has one, and listed names are the ones allowed.
func TestMapKeysMatchSchema(t *testing.T) {
	constrained := map[string]bool{}
	var walk func(v cue.Value, name string)
	walk = func(v cue.Value, name string) {
		switch v.IncompleteKind() {
		case cue.StructKind:
			fields := fieldNames(v)
			if len(fields) == 0 && !v.Allows(cue.Str("Not a Key!")) {
				constrained[name] = true
			}
			for _, f := range fields {
				walk(schemaChild(v, PathElem{name: f}), f)
			}
			if len(fields) == 0 {
				walk(mapElem(v), name+"[*]")
			}
		case cue.ListKind:
			walk(listElem(v, 0), name+"[]")
		}
	}
	walk(compiledSchema().LookupPath(cue.MakePath(cue.Def("#Cluster"))), "")
	for name := range constrained {
		if _, ok := mapKeys[name]; !ok {
			t.Errorf("the schema's map %q constrains its keys but mapKeys does not describe them", name)
		}
	}
	for name, mk := range mapKeys {
		if !constrained[name] {
			t.Errorf("mapKeys describes %q, which is no key-constrained map of the schema", name)
		}
		for _, k := range mk.names {
			if !schemaAt(Path{{name: "kubelet"}, {name: name}}).Allows(cue.Str(k)) {
				t.Errorf("mapKeys lists %q for %s, which the schema does not allow", k, name)
			}
		}
	}
}

// TestHostSchemaHasNoDefaults keeps true what decodeHosts relies on: #Host fills nothing in, so
// a host decodes the same from the user's value as from its unification with #Host.
func TestHostSchemaHasNoDefaults(t *testing.T) {
	var walk func(path string, v cue.Value)
	walk = func(path string, v cue.Value) {
		switch v.IncompleteKind() {
		case cue.StructKind:
			it, err := v.Fields(cue.Optional(true))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for it.Next() {
				n++
				f := it.Value()
				if _, ok := f.Default(); ok && it.Selector().ConstraintType() != cue.OptionalConstraint && !isRequired(it.Selector(), f) {
					t.Errorf("%s.%s has a default", path, it.Selector().Unquoted())
				}
				walk(path+"."+it.Selector().Unquoted(), f)
			}
			if n == 0 {
				walk(path+"[*]", mapElem(v))
			}
		case cue.ListKind:
			walk(path+"[]", listElem(v, 0))
		}
	}
	walk("#Host", compiledSchema().LookupPath(cue.MakePath(cue.Def("#Host"))))

	// The walk must catch a default: check it on a schema that has one.
	ctx := compiledSchema().Context()
	withDefault := ctx.CompileString(`x: {a?: int, b: *1 | int}`).LookupPath(cue.ParsePath("x"))
	it, _ := withDefault.Fields(cue.Optional(true))
	found := false
	for it.Next() {
		if _, ok := it.Value().Default(); ok && it.Selector().ConstraintType() != cue.OptionalConstraint {
			found = true
		}
	}
	if !found {
		t.Error("the default check does not see a default")
	}
}
