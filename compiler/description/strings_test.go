package description

import (
	"reflect"
	"strings"
	"testing"
)

func TestStringProblem(t *testing.T) {
	for _, bad := range []string{"\t", "\n", "\r", "\x00", "\x1b", "\x7f", "\u0080", "\u0085", "\u009f", "\u2028", "\u2029",
		"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c", "\xff", "\xc3"} {
		problem, ok := stringProblem("abc" + bad + "d")
		if !ok || !strings.HasSuffix(problem, " at byte 3") {
			t.Errorf("%q: %q %v", bad, problem, ok)
		}
	}
	for _, good := range []string{"", "a b", "é", "日本", "🙂", "\u00a0", `\n`, "a/b=c,d"} {
		if problem, bad := stringProblem(good); bad {
			t.Errorf("%q refused: %s", good, problem)
		}
	}
}

// fillStrings sets every string slot under v (fields, map keys and values, list elements,
// values held as any) to s, making room where there is none, and counts the slots.
func fillStrings(v reflect.Value, s string) int {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		return fillStrings(v.Elem(), s)
	case reflect.Interface:
		v.Set(reflect.ValueOf(s))
		return 1
	case reflect.Struct:
		n := 0
		for i := range v.NumField() {
			n += fillStrings(v.Field(i), s)
		}
		return n
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		key := reflect.New(v.Type().Key()).Elem()
		n := fillStrings(key, s)
		val := reflect.New(v.Type().Elem()).Elem()
		n += fillStrings(val, s)
		m.SetMapIndex(key, val)
		v.Set(m)
		return n
	case reflect.Slice:
		l := reflect.MakeSlice(v.Type(), 1, 1)
		n := fillStrings(l.Index(0), s)
		v.Set(l)
		return n
	case reflect.String:
		v.SetString(s)
		return 1
	}
	return 0
}

// TestStringRuleCoversEveryString fills every string of every field of the description types,
// as they are now and as they will grow, with a newline: each is reported, at a path that reads
// back.
func TestStringRuleCoversEveryString(t *testing.T) {
	src, ds := LoadBytes("d.yaml", []byte(yamlHead))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	var c Cluster
	slots := fillStrings(reflect.ValueOf(&c).Elem(), "a\nb")
	if slots < 60 {
		t.Fatalf("only %d string slots filled", slots)
	}
	ds = src.stringDiagnostics(&c, nil)
	if len(ds) != slots {
		t.Errorf("%d strings, %d reported", slots, len(ds))
	}
	paths := map[string]bool{}
	for _, d := range ds {
		if _, ok := ParsePath(d.Path); !ok || paths[d.Path+d.Summary] {
			t.Errorf("path %q does not read back, or is reported twice", d.Path)
		}
		paths[d.Path+d.Summary] = true
		if d.Pos.File != "d.yaml" {
			t.Errorf("no position: %s", d)
		}
	}
	for _, p := range []string{`hosts[0].labels["a\nb"]`, `hosts[0].kubelet.extraArgs["a\nb"]`, "etcd.external.endpoints[0]", "firewall.extraPorts[0].port", "proxy.http"} {
		if !paths[p+"control character U+000A at byte 1 is not allowed in a description string"] && !paths[p+"control character U+000A at byte 1 is not allowed in a key"] {
			t.Errorf("%s not reported", p)
		}
	}
}
