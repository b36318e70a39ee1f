package description

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/token"
	cuejson "cuelang.org/go/encoding/json"
	cueyaml "cuelang.org/go/encoding/yaml"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// Source is a loaded description before it is checked: the user's value, as written, and the
// text of every file it came from.
type Source struct {
	Files diag.Sources
	// Dir is the directory of the first file; relative paths in the description (external etcd
	// client files) are relative to it.
	Dir   string
	ctx   *cue.Context
	value cue.Value
}

// Load reads the named files or directories (.cue, .yaml, .yml, .json) and unifies them into
// one description. CUE files, and the .cue files of a directory, load as one CUE instance.
func Load(paths ...string) (*Source, diag.List) {
	if len(paths) == 0 {
		return nil, diag.List{{Severity: diag.Error, Summary: "no description given", Code: diag.CodeIO}}
	}
	src := &Source{Files: diag.Sources{}, ctx: cuecontext.New()}
	var cueArgs []string
	var values []cue.Value
	var diags diag.List
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			diags = append(diags, ioError(p, err))
			continue
		}
		if src.Dir == "" {
			src.Dir = p
			if !fi.IsDir() {
				src.Dir = filepath.Dir(p)
			}
		}
		switch ext := strings.ToLower(filepath.Ext(p)); {
		case fi.IsDir(), ext == ".cue":
			// cue/load reads "a/b" as an import path; a file path must look like one.
			if !filepath.IsAbs(p) && !strings.HasPrefix(p, ".") {
				p = "." + string(filepath.Separator) + p
			}
			cueArgs = append(cueArgs, p)
		case ext == ".yaml", ext == ".yml", ext == ".json":
			data, err := os.ReadFile(p)
			if err != nil {
				diags = append(diags, ioError(p, err))
				continue
			}
			v, ds := src.parseData(p, data)
			diags = append(diags, ds...)
			if ds.HasErrors() {
				continue
			}
			values = append(values, v)
		default:
			diags = append(diags, diag.Diagnostic{Severity: diag.Error, Pos: diag.Position{File: p},
				Summary: "unknown file type", Detail: "expected a .cue, .yaml, .yml or .json file, or a directory of .cue files"})
		}
	}
	if len(cueArgs) > 0 {
		v, ds := src.loadCUE(cueArgs)
		diags = append(diags, ds...)
		if !ds.HasErrors() {
			values = append(values, v)
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	src.value = values[0]
	for _, v := range values[1:] {
		src.value = src.value.Unify(v)
	}
	if err := src.value.Err(); err != nil {
		return nil, src.diagnostics(err)
	}
	return src, diags
}

// LoadBytes loads one description held in memory; name's extension tells its format.
func LoadBytes(name string, data []byte) (*Source, diag.List) {
	src := &Source{Files: diag.Sources{}, ctx: cuecontext.New(), Dir: "."}
	var v cue.Value
	var diags diag.List
	if strings.HasSuffix(name, ".cue") {
		src.Files[name] = data
		v = src.ctx.CompileBytes(data, cue.Filename(name))
		if err := v.Err(); err != nil {
			return nil, src.diagnostics(err)
		}
	} else {
		v, diags = src.parseData(name, data)
		if diags.HasErrors() {
			return nil, diags
		}
	}
	src.value = v
	return src, diags
}

func ioError(p string, err error) diag.Diagnostic {
	return diag.Diagnostic{Severity: diag.Error, Pos: diag.Position{File: p}, Summary: "cannot read: " + unwrapPathError(err), Code: diag.CodeIO}
}

func unwrapPathError(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// parseData turns YAML or JSON into a CUE value, keeping positions, and reports duplicate
// keys, which CUE would otherwise silently unify.
func (s *Source) parseData(name string, data []byte) (cue.Value, diag.List) {
	s.Files[name] = data
	var expr ast.Expr
	if strings.HasSuffix(strings.ToLower(name), ".json") {
		e, err := cuejson.Extract(name, data)
		if err != nil {
			return cue.Value{}, s.diagnostics(err)
		}
		expr = e
	} else {
		f, err := cueyaml.Extract(name, data)
		if err != nil {
			return cue.Value{}, yamlSyntaxDiagnostics(name, err)
		}
		if len(f.Decls) == 0 {
			return cue.Value{}, diag.List{{Severity: diag.Error, Pos: diag.Position{File: name, Line: 1, Column: 1}, Summary: "empty description"}}
		}
		if ds := duplicateKeys(f); len(ds) > 0 {
			return cue.Value{}, ds
		}
		v := s.ctx.BuildFile(f)
		if err := v.Err(); err != nil {
			return cue.Value{}, s.diagnostics(err)
		}
		return v, nil
	}
	if ds := duplicateKeys(expr); len(ds) > 0 {
		return cue.Value{}, ds
	}
	v := s.ctx.BuildExpr(expr)
	if err := v.Err(); err != nil {
		return cue.Value{}, s.diagnostics(err)
	}
	return v, nil
}

func (s *Source) loadCUE(args []string) (cue.Value, diag.List) {
	insts := load.Instances(args, &load.Config{})
	if len(insts) != 1 {
		return cue.Value{}, diag.List{{Severity: diag.Error, Pos: diag.Position{File: args[0]},
			Summary: fmt.Sprintf("the CUE files form %d packages; give the files of one package", len(insts))}}
	}
	inst := insts[0]
	if inst.Err != nil {
		return cue.Value{}, s.diagnostics(inst.Err)
	}
	for _, f := range inst.Files {
		if data, err := os.ReadFile(f.Filename); err == nil {
			s.Files[f.Filename] = data
		}
	}
	v := s.ctx.BuildInstance(inst)
	if err := v.Err(); err != nil {
		return cue.Value{}, s.diagnostics(err)
	}
	return v, nil
}

// duplicateKeys finds keys written twice in one mapping of a YAML or JSON file.
func duplicateKeys(n ast.Node) diag.List {
	var out diag.List
	ast.Walk(n, func(n ast.Node) bool {
		var elts []ast.Decl
		switch x := n.(type) {
		case *ast.StructLit:
			elts = x.Elts
		case *ast.File:
			elts = x.Decls
		default:
			return true
		}
		seen := map[string]bool{}
		for _, d := range elts {
			f, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			name, _, err := ast.LabelName(f.Label)
			if err != nil {
				continue
			}
			if seen[name] {
				out = append(out, diag.Diagnostic{Severity: diag.Error, Pos: position(f.Label.Pos()),
					Summary: fmt.Sprintf("duplicate key %q", name), Detail: "each key may appear once in a mapping"})
			}
			seen[name] = true
		}
		return true
	}, nil)
	return out
}

// yamlSyntaxDiagnostics turns a YAML parse error into a diagnostic; the parser gives a line
// (sometimes a column) in its message rather than a position.
func yamlSyntaxDiagnostics(name string, err error) diag.List {
	var out diag.List
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		p := diag.Position{File: name, Line: 1, Column: 1}
		if pos := e.Position(); pos.IsValid() {
			p = position(pos)
		}
		var line, col int
		if n, _ := fmt.Sscanf(yamlLineSuffix(msg), "line %d: ", &line); n == 1 {
			p.Line, p.Column = line, 1
		}
		if n, _ := fmt.Sscanf(yamlLineSuffix(msg), "line %d, column %d: ", &line, &col); n == 2 {
			p.Line, p.Column = line, col
		}
		msg = strings.TrimPrefix(msg, "yaml: ")
		if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "line ") {
			msg = msg[i+2:]
		}
		out = append(out, diag.Diagnostic{Severity: diag.Error, Pos: p, Summary: "YAML syntax error: " + msg})
	}
	if len(out) == 0 {
		out = append(out, diag.Diagnostic{Severity: diag.Error, Pos: diag.Position{File: name}, Summary: "YAML syntax error: " + err.Error()})
	}
	return out
}

func yamlLineSuffix(msg string) string {
	msg = strings.TrimPrefix(msg, "yaml: ")
	if i := strings.Index(msg, "line "); i >= 0 {
		return msg[i:]
	}
	return msg
}

func position(p token.Pos) diag.Position {
	if !p.IsValid() {
		return diag.Position{}
	}
	return diag.Position{File: p.Filename(), Line: p.Line(), Column: p.Column()}
}

// Pos returns the position of the field at path in the user's files, or of its nearest
// ancestor that is written there (a defaulted field has no position of its own).
func (s *Source) Pos(path ...cue.Selector) diag.Position {
	for n := len(path); n >= 0; n-- {
		v := s.value.LookupPath(cue.MakePath(path[:n]...))
		if !v.Exists() {
			continue
		}
		if p := position(v.Pos()); p.File != "" && s.isUserFile(p.File) {
			return p
		}
	}
	for name := range s.Files {
		return diag.Position{File: name, Line: 1, Column: 1}
	}
	return diag.Position{}
}

func (s *Source) isUserFile(name string) bool {
	_, ok := s.Files[name]
	return ok
}

// FileNames returns the user's files, sorted.
func (s *Source) FileNames() []string {
	names := make([]string, 0, len(s.Files))
	for n := range s.Files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// PosOf returns the position of a field given as a path string such as
// "hosts[2].kubelet.maxPods" (see Pos).
func (s *Source) PosOf(path string) diag.Position {
	if path == "" {
		return s.Pos()
	}
	p := cue.ParsePath(path)
	if p.Err() != nil {
		return s.Pos()
	}
	return s.Pos(p.Selectors()...)
}
