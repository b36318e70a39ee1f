package compiler

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"
)

// reportFormats returns the format strings of every errorf/warnf/reportAt call in the files
// the patterns name: the diagnostics the builder and the checks can report.
func reportFormats(t *testing.T, patterns ...string) []string {
	var files []string
	for _, p := range patterns {
		matches, err := filepath.Glob(p)
		if err != nil || len(matches) == 0 {
			t.Fatalf("no file matches %q", p)
		}
		files = append(files, matches...)
	}
	var out []string
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 3 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			formatArg := map[string]int{"errorf": 3, "warnf": 3, "reportAt": 4}
			i, ok := formatArg[sel.Sel.Name]
			if !ok || len(call.Args) <= i {
				return true
			}
			if _, forwards := call.Args[i].(*ast.Ident); forwards {
				return true // report passing its own format on
			}
			lit, ok := call.Args[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: report without a literal format", fset.Position(call.Pos()))
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
			return true
		})
	}
	if len(out) < 10 {
		t.Fatalf("found only %d report calls in %v", len(out), files)
	}
	return out
}
