package diag

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite codes.md from the table of codes")

var codeRE = regexp.MustCompile(`^KF[0-9]{4}$`)

// TestCodeTable: codes are well formed, each in the table once, in order, in a family.
func TestCodeTable(t *testing.T) {
	if problems := tableProblems(Codes); len(problems) > 0 {
		t.Error(strings.Join(problems, "\n"))
	}
}

func tableProblems(codes []Info) []string {
	var out []string
	for i, c := range codes {
		if !codeRE.MatchString(string(c.Code)) {
			out = append(out, fmt.Sprintf("%q is not KF and four digits", c.Code))
		}
		if i > 0 && codes[i-1].Code >= c.Code {
			out = append(out, fmt.Sprintf("%s follows %s: the table is in the order of the codes, each once", c.Code, codes[i-1].Code))
		}
		if !slices.ContainsFunc(Families, func(f Family) bool { return f.Prefix == c.Code.Family() }) {
			out = append(out, fmt.Sprintf("%s is in no family", c.Code))
		}
		if c.Title == "" || c.Severity != Error && c.Severity != Warning {
			out = append(out, fmt.Sprintf("%s: a row needs a title and a severity", c.Code))
		}
	}
	return out
}

// TestCodeTableCanFail breaks the table: the check must see it.
func TestCodeTableCanFail(t *testing.T) {
	dup := slices.Clone(Codes)
	dup[1].Code = dup[0].Code
	badFamily := slices.Clone(Codes)
	badFamily[0].Code = "KF8801"
	for name, codes := range map[string][]Info{"duplicate": dup, "family": badFamily} {
		if len(tableProblems(codes)) == 0 {
			t.Errorf("%s: a broken table passed", name)
		}
	}
}

// codeConstants returns the Code constants codes.go declares, by name.
func codeConstants(t *testing.T) map[string]Code {
	f, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Code{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); ok && id.Name == "Code" {
				lit := v.Values[0].(*ast.BasicLit)
				out[v.Names[0].Name] = Code(strings.Trim(lit.Value, `"`))
			}
		}
	}
	return out
}

// TestEveryCodeInTableAndUsed: each constant has a row, and each row not retired is reported
// by some code of the compiler (outside tests and this table), so no code is listed that no
// check gives.
func TestEveryCodeInTableAndUsed(t *testing.T) {
	consts := codeConstants(t)
	if len(consts) != len(Codes) {
		t.Errorf("%d constants, %d rows", len(consts), len(Codes))
	}
	used := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") || p == "codes.go" || filepath.Base(p) == "codes.go" && filepath.Dir(p) == "../diag" {
			return err
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SelectorExpr:
				if pkg, ok := x.X.(*ast.Ident); ok && pkg.Name == "diag" {
					used[x.Sel.Name] = true
				}
			case *ast.Ident:
				if filepath.Dir(p) == "../diag" {
					used[x.Name] = true
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, code := range consts {
		info, ok := InfoOf(code)
		switch {
		case !ok:
			t.Errorf("%s (%s) has no row in Codes", name, code)
		case !info.Retired && !used[name]:
			t.Errorf("%s (%s) is reported nowhere in compiler/: retire its row", name, code)
		}
	}
}

// TestCodesDocumented: codes.md, the list of codes for users, is the table's (regenerate with
// go test ./compiler/diag -update).
func TestCodesDocumented(t *testing.T) {
	want := CodesMarkdown()
	if *update {
		if err := os.WriteFile("codes.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile("codes.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Error("codes.md is not the table's list: go test ./compiler/diag -update")
	}
	for _, c := range Codes {
		if !strings.Contains(string(got), "| "+string(c.Code)+" |") {
			t.Errorf("%s is not documented in codes.md", c.Code)
		}
	}
}

// TestFailsKeysOnSeverity: --strict turns warnings, and only they, into failures.
func TestFailsKeysOnSeverity(t *testing.T) {
	warn := List{{Severity: Warning, Code: CodeEvenEtcdMembers}}
	errs := List{{Severity: Error, Code: CodeEvenEtcdMembers}} // the severity decides, not the code
	for _, tc := range []struct {
		l            List
		strict, want bool
	}{
		{nil, true, false}, {warn, false, false}, {warn, true, true}, {errs, false, true}, {errs, true, true},
	} {
		if got := tc.l.Fails(tc.strict); got != tc.want {
			t.Errorf("%v strict %t: fails %t", tc.l, tc.strict, got)
		}
	}
}
