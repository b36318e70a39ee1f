package description

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
)

// oddKeys are keys a YAML or JSON description can have that are not identifiers.
var oddKeys = []string{
	"#a b", "#a", "#", "_x", "a b", `a"b`, `a\b`, "a.b", "a[0]", "[", "]", `["x"]`, "", "0", "-1",
	"é", "日本", "a\nb", "a\tb", "\x00", "\x1b[31m", "a\u202eb", "if", "true", "a-b", "x.#y",
	"\xff", `\u0041`, "'", "`",
}

func TestPathRoundTrip(t *testing.T) {
	for _, k := range oddKeys {
		p := Path{{name: "hosts"}, {index: 3, isIndex: true}, {name: "labels"}, {name: k}, {name: "after"}}
		s := p.String()
		got, ok := ParsePath(s)
		if !ok || !reflect.DeepEqual(got, p) {
			t.Errorf("key %q: %q reads back as %#v (ok %v)", k, s, got, ok)
		}
		if !plainNameRE.MatchString(k) && !strings.HasPrefix(s, "hosts[3].labels[") {
			t.Errorf("key %q: path %q is not written as a quoted name", k, s)
		}
		p.selectors() // must not panic
	}
	for _, s := range []string{"hosts[2].kubelet.maxPods", `apiServer.extraArgs["anonymous-auth"]`, "groups.gpu-nodes.kubelet", "a[0][1]"} {
		if _, ok := ParsePath(s); !ok {
			t.Errorf("%q does not parse", s)
		}
	}
	// Map keys are quoted even when they could be written bare, and read back so.
	for _, k := range append([]string{"v", "name", "0"}, oddKeys...) {
		p := Path{Field("etcd"), Field("extraArgs"), Key(k)}
		s := p.String()
		got, ok := ParsePath(s)
		if !ok || !got.Equal(p) || got.String() != s || !strings.HasPrefix(s, `etcd.extraArgs["`) {
			t.Errorf("key %q: %q reads back as %q (ok %v)", k, s, got, ok)
		}
	}
	for _, s := range []string{".a", "a..b", "a[", "a[x]", `a["x`, `a["x"`, "a[0]b", `a["\q"]`} {
		if p, ok := ParsePath(s); ok {
			t.Errorf("%q parses, as %#v", s, p)
		}
	}
}

// TestErrPathReadsCUEPaths checks that the path of a CUE error about any key names that key.
func TestErrPathReadsCUEPaths(t *testing.T) {
	ctx := cuecontext.New()
	for _, k := range oddKeys {
		if !utf8.ValidString(k) {
			continue // CUE labels are UTF-8; YAML and JSON refuse such keys before CUE sees them
		}
		v := ctx.CompileString("x: close({a: 1})").FillPath(cue.MakePath(cue.Str("x"), cue.Str(k)), 1)
		errs := cueerrors.Errors(v.Validate())
		if len(errs) != 1 {
			t.Fatalf("key %q: %d errors", k, len(errs))
		}
		want := Path{{name: "x"}, {name: k}}
		if got := errPath(errs[0].Path()); !reflect.DeepEqual(got, want) {
			t.Errorf("key %q: CUE path %q read as %#v", k, errs[0].Path(), got)
		}
	}
	if got := errPath([]string{"#Def", "0", `"0"`}); !reflect.DeepEqual(got, Path{{name: "#Def", isDef: true}, {isIndex: true}, {name: "0"}}) {
		t.Errorf("definition, index and quoted digits: %#v", got)
	}
}

// TestOddKeysDiagnosed loads descriptions with every odd key in each kind of map and at the
// top level: the keys are reported, each at its line, with a path that reads back.
func TestOddKeysDiagnosed(t *testing.T) {
	for _, k := range oddKeys {
		if !utf8.ValidString(k) || strings.ContainsAny(k, "\x00\x1b\t\n\u202e") {
			continue // refused before the schema sees them: TestTextRefused
		}
		for _, m := range []string{"sysctls", "apiServer:\n  extraArgs", "hostDefaults:\n  labels", "unknownTop"} {
			yaml := fmt.Sprintf("apiVersion: kubeforge.dev/v1alpha1\nkind: Cluster\nname: t\nhosts:\n  - {name: cp1, addresses: [192.168.0.11], roles: [control-plane]}\n%s:\n    %s: \"1\"\n", m, quoteYAML(k))
			line := strings.Count(yaml, "\n")
			src, ds := LoadBytes("k.yaml", []byte(yaml))
			if !ds.HasErrors() {
				_, ds = Decode(src)
			}
			for _, d := range ds {
				if d.Pos.Line != line && d.Pos.Line != line-1 {
					t.Errorf("key %q in %s: diagnostic at line %d, want %d: %s", k, m, d.Pos.Line, line, d)
				}
				if _, ok := ParsePath(d.Path); !ok {
					t.Errorf("key %q in %s: path %q does not read back", k, m, d.Path)
				}
			}
		}
	}
}

func quoteYAML(s string) string {
	return fmt.Sprintf("%q", s) // a Go literal is a YAML double-quoted scalar for these keys
}

// FuzzPathRoundTrip checks that a path through any key reads back to the same elements.
func FuzzPathRoundTrip(f *testing.F) {
	for _, k := range oddKeys {
		f.Add(k, 0)
	}
	f.Fuzz(func(t *testing.T, name string, index int) {
		if index < 0 {
			return
		}
		p := Path{{name: name}, {index: index, isIndex: true}, {name: name}}
		got, ok := ParsePath(p.String())
		if !ok || !reflect.DeepEqual(got, p) {
			t.Errorf("%q reads back as %#v", p.String(), got)
		}
		p.selectors()
	})
}
