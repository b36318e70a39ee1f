package description

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// Bounds on the shape of a YAML or JSON description, checked on its syntax tree before CUE
// evaluates it. CUE finds a field of a struct or an element of a list by scanning the ones
// before it, so a mapping or list of n entries costs n²: 100,000 sysctls took two minutes and
// 400,000 most of an hour. With each mapping and list bounded, evaluation stays linear in the
// size of the description. The bounds are far above real descriptions (a few dozen sysctls,
// labels or SANs; at most 5,000 nodes in a Kubernetes cluster).
const (
	maxEntries = 1000
	maxHosts   = 10000
	maxDepth   = 64
)

// shapeChecker walks the syntax tree of a description file.
type shapeChecker struct {
	src *Source
	// data is set for YAML and JSON: their keys must be unique (CUE would silently unify two
	// values of a key) and their mappings and lists bounded. A CUE file is a program, whose
	// size says little about what it computes; only its numbers are checked.
	data    bool
	out     diag.List
	tooDeep bool
}

// shapeDiagnostics checks a parsed file: keys written twice and sizes (YAML, JSON), and
// numbers beyond 64 bits, which CUE keeps exactly but kubeforge would decode rounded or not at
// all.
func (s *Source) shapeDiagnostics(n ast.Node, data bool) diag.List {
	c := &shapeChecker{src: s, data: data}
	c.walk(n, nil, true, 0)
	return c.out
}

func (c *shapeChecker) report(code diag.Code, p token.Pos, path Path, known bool, summary, detail string) {
	d := diag.Diagnostic{Code: code, Severity: diag.Error, Pos: c.src.position(p), Summary: summary, Detail: detail}
	if known {
		d.Path = path.String()
	}
	c.out = append(c.out, d)
}

// walk checks node n at path (known is false once a label is not a literal name) and depth
// (of mappings and lists).
func (c *shapeChecker) walk(n ast.Node, path Path, known bool, depth int) {
	switch x := n.(type) {
	case *ast.File:
		c.fields(x.Decls, path, known, depth)
	case *ast.StructLit:
		if c.deeper(x, path, known, depth) {
			return
		}
		c.fields(x.Elts, path, known, depth+1)
	case *ast.EmbedDecl:
		c.walk(x.Expr, path, known, depth)
	case *ast.ListLit:
		if c.deeper(x, path, known, depth) {
			return
		}
		limit, what := maxEntries, fmt.Sprintf("a list in a description holds at most %d elements", maxEntries)
		if len(path) == 1 && path[0].name == "hosts" {
			limit, what = maxHosts, fmt.Sprintf("a description lists at most %d hosts", maxHosts)
		}
		if c.data && len(x.Elts) > limit {
			c.report(diag.CodeListTooLong, x.Elts[limit].Pos(), path, known, fmt.Sprintf("the list has %d elements", len(x.Elts)), what)
			return
		}
		for i, e := range x.Elts {
			c.walk(e, child(path, PathElem{index: i, isIndex: true}), known, depth+1)
		}
	case *ast.BasicLit:
		c.number(x, "", path, known)
	case *ast.UnaryExpr:
		if lit, ok := x.X.(*ast.BasicLit); ok && x.Op == token.SUB {
			c.number(lit, "-", path, known)
			return
		}
		c.walk(x.X, path, known, depth)
	default:
		// A CUE expression: look for numbers in it, at the path of the field it is the value
		// of.
		if c.data || n == nil {
			return
		}
		ast.Walk(n, func(m ast.Node) bool {
			if m == n {
				return true
			}
			switch m.(type) {
			case *ast.BasicLit, *ast.UnaryExpr:
				c.walk(m, path, known, depth)
				return false
			case *ast.StructLit, *ast.ListLit:
				c.walk(m, path, false, depth)
				return false
			}
			return true
		}, nil)
	}
}

// deeper reports (once) a mapping or list nested deeper than maxDepth, and whether it is.
func (c *shapeChecker) deeper(n ast.Node, path Path, known bool, depth int) bool {
	if !c.data || depth < maxDepth {
		return false
	}
	if !c.tooDeep {
		c.tooDeep = true
		c.report(diag.CodeNestedTooDeep, n.Pos(), path, known, fmt.Sprintf("mappings and lists nested more than %d deep", maxDepth), "real descriptions nest a few levels deep")
	}
	return true
}

// fields walks the declarations of a mapping or file.
func (c *shapeChecker) fields(decls []ast.Decl, path Path, known bool, depth int) {
	seen := map[string]bool{}
	n := 0
	for _, d := range decls {
		x, ok := d.(*ast.Field)
		if !ok {
			c.walk(d, path, known, depth)
			continue
		}
		name, _, err := ast.LabelName(x.Label)
		p, k := child(path, PathElem{name: name}), known && err == nil
		if c.data && err == nil {
			if seen[name] {
				c.report(diag.CodeDuplicateKey, x.Label.Pos(), p, k, fmt.Sprintf("duplicate key %q", name), "each key may appear once in a mapping")
			}
			seen[name] = true
			if n++; n > maxEntries {
				c.report(diag.CodeMappingTooLarge, x.Label.Pos(), path, known, fmt.Sprintf("the mapping has %d keys", countFields(decls)), fmt.Sprintf("a mapping in a description holds at most %d keys", maxEntries))
				return
			}
		}
		c.walk(x.Value, p, k, depth)
	}
}

func countFields(decls []ast.Decl) int {
	n := 0
	for _, d := range decls {
		if _, ok := d.(*ast.Field); ok {
			n++
		}
	}
	return n
}

// number reports an integer beyond 64 bits or a number beyond a float64's range. CUE's YAML
// decoder writes such an integer as "number & N".
func (c *shapeChecker) number(lit *ast.BasicLit, sign string, path Path, known bool) {
	if lit.Kind != token.INT && lit.Kind != token.FLOAT {
		return
	}
	text, bigInt := strings.CutPrefix(lit.Value, "number & ")
	text = strings.ReplaceAll(text, "_", "")
	isInt := lit.Kind == token.INT || bigInt
	var err error
	if isInt {
		_, err = strconv.ParseInt(sign+text, 0, 64)
	} else {
		_, err = strconv.ParseFloat(sign+text, 64)
	}
	if !errors.Is(err, strconv.ErrRange) {
		return
	}
	detail := "an integer in a description must fit in 64 bits (at most 9223372036854775807); where a field takes a string, write a larger value as one"
	if !isInt {
		detail = "a number in a description must fit in a 64-bit floating-point number"
	}
	c.report(diag.CodeNumberOutOfRange, lit.Pos(), path, known, fmt.Sprintf("the number %s%s is out of range", sign, text), detail)
}

// multipleDocuments reports a YAML file of several documents, which CUE's YAML decoder reads as
// a list of them, at the separator of the second.
func (s *Source) multipleDocuments(name string, f *ast.File) diag.List {
	if len(f.Decls) != 1 {
		return nil
	}
	e, ok := f.Decls[0].(*ast.EmbedDecl)
	if !ok {
		return nil
	}
	l, ok := e.Expr.(*ast.ListLit)
	if !ok || l.Lbrack.IsValid() || len(l.Elts) < 2 {
		return nil // a YAML sequence has a position for its start; the list of documents none
	}
	p := s.position(l.Elts[1].Pos())
	for n := p.Line; n >= 1; n-- {
		if line, _ := s.Files.Line(name, n); strings.HasPrefix(line, "---") {
			p = diag.Position{File: p.File, Line: n, Column: 1}
			break
		}
	}
	return diag.List{{Code: diag.CodeYAMLDocuments, Severity: diag.Error, Pos: p,
		Summary: fmt.Sprintf("%d YAML documents in one file; a description is one document", len(l.Elts)),
		Detail:  "remove the '---' separator and what follows it, or give the documents as separate files (they are unified)"}}
}
