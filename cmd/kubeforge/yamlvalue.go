package main

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yamlValue returns the YAML of a value decoded from JSON (the description types): fields in
// the order the types declare them, named by their json tags. Unlike encoding/json it keeps
// an empty list apart from an absent one (`taints: []` replaces earlier layers' taints, an
// absent taints does not), and leaves out absent values and empty structs.
func yamlValue(v any) (*yaml.Node, error) {
	n, err := yamlNode(reflect.ValueOf(v))
	if err == nil && n == nil {
		err = fmt.Errorf("nothing to print")
	}
	return n, err
}

// yamlNode returns the node of v, or nil when v is absent (a nil pointer, map or slice).
func yamlNode(v reflect.Value) (*yaml.Node, error) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return yamlNode(v.Elem())
	case reflect.Struct:
		return structNode(v)
	case reflect.Map:
		if v.IsNil() {
			return nil, nil
		}
		n := &yaml.Node{Kind: yaml.MappingNode}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			child, err := yamlNode(v.MapIndex(k))
			if err == nil && child == nil {
				err = fmt.Errorf("%s: no value", k)
			}
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, scalar("!!str", k.String()), child)
		}
		return n, nil
	case reflect.Slice:
		if v.IsNil() {
			return nil, nil
		}
		n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for i := range v.Len() {
			child, err := yamlNode(v.Index(i))
			if err == nil && child == nil {
				err = fmt.Errorf("item %d: no value", i)
			}
			if err != nil {
				return nil, err
			}
			if child.Kind != yaml.ScalarNode {
				n.Style = 0
			}
			n.Content = append(n.Content, child)
		}
		return n, nil
	case reflect.String:
		return scalar("!!str", v.String()), nil
	case reflect.Bool:
		return scalar("!!bool", strconv.FormatBool(v.Bool())), nil
	case reflect.Int, reflect.Int64:
		return scalar("!!int", strconv.FormatInt(v.Int(), 10)), nil
	case reflect.Float64:
		// Numbers decoded into `any` are float64; the description's are integers.
		if f := v.Float(); f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return scalar("!!int", strconv.FormatInt(int64(f), 10)), nil
		}
		return scalar("!!float", strconv.FormatFloat(v.Float(), 'g', -1, 64)), nil
	}
	return nil, fmt.Errorf("cannot print a %s as YAML", v.Type())
}

// structNode returns a struct's mapping, or nil when it has no field to show.
func structNode(v reflect.Value) (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		// omitempty leaves out a zero scalar, as encoding/json does (a cache size the schema
		// gives no default is absent, not 0).
		if strings.Contains(opts, "omitempty") && isZeroScalar(fv) {
			continue
		}
		child, err := yamlNode(fv)
		if err != nil {
			return nil, err
		}
		if child == nil || fv.Kind() == reflect.Struct && len(child.Content) == 0 {
			continue
		}
		// An embedded struct without a name is inlined, as encoding/json does.
		if f.Anonymous && name == "" && fv.Kind() == reflect.Struct {
			n.Content = append(n.Content, child.Content...)
			continue
		}
		n.Content = append(n.Content, scalar("!!str", name), child)
	}
	if len(n.Content) == 0 {
		return nil, nil
	}
	return n, nil
}

func scalar(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

// isZeroScalar reports whether v is a string, number or bool at its zero value.
func isZeroScalar(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int32, reflect.Int64, reflect.Float64:
		return v.IsZero()
	}
	return false
}
