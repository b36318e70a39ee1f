package clusterbundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"

	"sigs.k8s.io/yaml"
)

// keepEmpty names the fields whose presence means something even when empty (a pointer to an
// empty struct): pruning them would change the object.
var keepEmpty = map[string]bool{"emptyDir": true}

// encodeYAML returns obj (a pointer to a struct) as YAML with sorted keys and without noise:
// fields equal to those of the type's zero value, nulls, empty objects and the top-level
// status. Removing what a zero value also prints, or what decodes to a zero value, cannot
// change what a decoder of the type reads.
func encodeYAML(obj any) ([]byte, error) {
	tree, err := jsonTree(obj)
	if err != nil {
		return nil, err
	}
	zero, err := jsonTree(reflect.New(reflect.TypeOf(obj).Elem()).Interface())
	if err != nil {
		return nil, err
	}
	m, ok := tree.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%T does not encode to an object", obj)
	}
	dropZero(m, zero)
	delete(m, "status")
	pruneEmpty(m)
	j, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return yaml.JSONToYAML(j)
}

// jsonTree returns v's JSON as generic values, numbers kept as written.
func jsonTree(v any) (any, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var out any
	err = dec.Decode(&out)
	return out, err
}

// dropZero deletes from m the fields whose value equals the zero value's at the same place.
// The zero value prints null for pointers, so an explicitly set pointer is never dropped.
func dropZero(m map[string]any, zero any) {
	z, ok := zero.(map[string]any)
	if !ok {
		return
	}
	for k, v := range m {
		zv, found := z[k]
		if !found || zv == nil {
			continue
		}
		if sub, ok := v.(map[string]any); ok {
			dropZero(sub, zv)
			continue
		}
		if reflect.DeepEqual(v, zv) {
			delete(m, k)
		}
	}
}

// pruneEmpty removes nulls and empty objects, depth first, and reports whether v itself is
// now empty.
func pruneEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		for k, sub := range t {
			if pruneEmpty(sub) && !keepEmpty[k] {
				delete(t, k)
			}
		}
		return len(t) == 0
	case []any:
		for _, sub := range t {
			pruneEmpty(sub)
		}
	}
	return false
}
