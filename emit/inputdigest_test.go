package emit

import (
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
)

// digestBlind are the model's fields the content index cannot see (unexported or `json:"-"`),
// each with the exported field that carries its content into the digest. A field the digest
// does not see could change without re-rendering its host, so a new one fails the test until
// its content is shown to reach the digest some other way.
var digestBlind = map[string]string{
	"compiler.Audit.inline":        "Audit.Policy is the decoded inline policy",
	"compiler.Authentication.desc": "Authentication.Config is the loaded configuration, CAs embedded",
}

// TestDigestSeesTheWholeModel walks the types of the model the content index digests as JSON
// (digestModel) and lists every field JSON leaves out.
func TestDigestSeesTheWholeModel(t *testing.T) {
	var blind []string
	seen := map[reflect.Type]bool{}
	marshaler := reflect.TypeFor[json.Marshaler]()
	textMarshaler := reflect.TypeFor[encoding.TextMarshaler]()
	var walk func(reflect.Type)
	walk = func(ty reflect.Type) {
		for {
			switch ty.Kind() {
			case reflect.Pointer, reflect.Slice, reflect.Array:
				ty = ty.Elem()
				continue
			case reflect.Map:
				walk(ty.Key())
				ty = ty.Elem()
				continue
			}
			break
		}
		if ty.Kind() != reflect.Struct || seen[ty] {
			return
		}
		seen[ty] = true
		// A type that marshals itself (time, addresses, prefixes) is digested whole.
		if ty.Implements(marshaler) || reflect.PointerTo(ty).Implements(marshaler) ||
			ty.Implements(textMarshaler) || reflect.PointerTo(ty).Implements(textMarshaler) {
			return
		}
		for i := range ty.NumField() {
			f := ty.Field(i)
			if !f.IsExported() || strings.Split(f.Tag.Get("json"), ",")[0] == "-" {
				blind = append(blind, ty.String()+"."+f.Name)
				continue
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[compiler.Cluster]())
	slices.Sort(blind)
	for _, f := range blind {
		if _, ok := digestBlind[f]; !ok {
			t.Errorf("the content index does not see %s (unexported or json:\"-\"): export it, or add it to digestBlind with the field that carries its content", f)
		}
	}
	for f := range digestBlind {
		if !slices.Contains(blind, f) {
			t.Errorf("digestBlind lists %s, which the digest now sees or which is gone: remove it", f)
		}
	}
}
