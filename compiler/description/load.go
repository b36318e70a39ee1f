package description

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
	cuejson "cuelang.org/go/encoding/json"
	cueyaml "cuelang.org/go/encoding/yaml"

	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/schema"
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
	// reader reads the files, each once, as untrusted input.
	reader *fileReader
	// names maps the file names CUE's positions carry (cue/load makes them absolute) to the
	// names diagnostics show: as the user gave them, relative to the working directory.
	names map[string]string
}

// Load reads the named files or directories (.cue, .yaml, .yml, .json) and unifies them into
// one description. CUE files, and the .cue files of a directory, load as one CUE instance.
// The Source is returned even with errors, for its files' text.
func Load(paths ...string) (*Source, diag.List) {
	src, ds := loadFiles(paths)
	return src, src.withEnds(ds)
}

func loadFiles(paths []string) (*Source, diag.List) {
	src := &Source{Files: diag.Sources{}, ctx: cuecontext.New(), reader: newFileReader()}
	if len(paths) == 0 {
		return src, diag.List{{Severity: diag.Error, Summary: "no description given", Code: diag.CodeNoDescription}}
	}
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
			cueArgs = append(cueArgs, p)
		case ext == ".yaml", ext == ".yml", ext == ".json":
			data, err := src.reader.readFile(p)
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
				Summary: "unknown file type", Detail: "expected a .cue, .yaml, .yml or .json file, or a directory of .cue files", Code: diag.CodeUnknownFileType})
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
		return src, diags
	}
	src.value = values[0]
	for _, v := range values[1:] {
		src.value = src.value.Unify(v)
	}
	if err := src.value.Err(); err != nil {
		return src, src.diagnostics(allErrors(src.value, err))
	}
	return src, diags
}

// LoadBytes loads one description held in memory; name's extension tells its format.
func LoadBytes(name string, data []byte) (*Source, diag.List) {
	src, ds := loadBytes(name, data)
	return src, src.withEnds(ds)
}

func loadBytes(name string, data []byte) (*Source, diag.List) {
	src := &Source{Files: diag.Sources{}, ctx: cuecontext.New(), Dir: "."}
	if strings.HasSuffix(strings.ToLower(name), ".cue") {
		data = withoutBOM(data)
		src.Files[name] = data
		if ds := textDiagnostics(name, data, "cue"); len(ds) > 0 {
			return src, ds
		}
		f, err := parser.ParseFile(name, data, parser.ParseComments)
		if err != nil {
			return src, src.syntaxDiagnostics(err, diag.CodeCUESyntax, "CUE syntax error: ")
		}
		if ds := src.shapeDiagnostics(f, false); len(ds) > 0 {
			return src, ds
		}
		src.value = src.ctx.BuildFile(f)
		if err := src.value.Err(); err != nil {
			return src, src.diagnostics(allErrors(src.value, err))
		}
		return src, nil
	}
	v, diags := src.parseData(name, withoutBOM(data))
	src.value = v
	return src, diags
}

// parseData turns YAML or JSON into a CUE value, keeping positions, once its characters
// (text.go) and the shape of its tree (shape.go: duplicate keys, numbers, sizes) pass.
func (s *Source) parseData(name string, data []byte) (cue.Value, diag.List) {
	s.Files[name] = data
	format := "yaml"
	if strings.HasSuffix(strings.ToLower(name), ".json") {
		format = "json"
	}
	if ds := textDiagnostics(name, data, format); len(ds) > 0 {
		return cue.Value{}, ds
	}
	var expr ast.Node
	if format == "json" {
		e, err := cuejson.Extract(name, data)
		if err != nil {
			return cue.Value{}, jsonSyntaxDiagnostics(name, data, err)
		}
		expr = e
	} else {
		f, err := cueyaml.Extract(name, data)
		if err != nil {
			return cue.Value{}, yamlSyntaxDiagnostics(name, data, err)
		}
		if isEmptyYAML(f) {
			return cue.Value{}, diag.List{{Code: diag.CodeEmptyDescription, Severity: diag.Error, Pos: diag.Position{File: name, Line: 1, Column: 1},
				Summary: "empty description", Detail: "expected a mapping with apiVersion, kind, name and hosts"}}
		}
		if ds := s.multipleDocuments(name, f); len(ds) > 0 {
			return cue.Value{}, ds
		}
		expr = f
	}
	if ds := s.shapeDiagnostics(expr, true); len(ds) > 0 {
		return cue.Value{}, ds
	}
	var v cue.Value
	switch x := expr.(type) {
	case *ast.File:
		v = s.ctx.BuildFile(x)
	case ast.Expr:
		v = s.ctx.BuildExpr(x)
	}
	if err := v.Err(); err != nil {
		s.value = v
		return cue.Value{}, s.diagnostics(allErrors(v, err))
	}
	return v, nil
}

// isEmptyYAML reports whether a YAML file held no document: the YAML decoder then gives
// `*null | _`.
func isEmptyYAML(f *ast.File) bool {
	if len(f.Decls) == 0 {
		return true
	}
	e, ok := f.Decls[0].(*ast.EmbedDecl)
	if !ok || len(f.Decls) != 1 {
		return false
	}
	b, ok := e.Expr.(*ast.BinaryExpr)
	return ok && b.Op == token.OR
}

// loadCUE loads CUE files, or a directory, as one instance. cue/load resolves imports (of the
// kubeforge schema, say) from the module the description is in, so it runs from the
// description's directory, wherever kubeforge is run from.
func (s *Source) loadCUE(args []string) (cue.Value, diag.List) {
	relative := !slices.ContainsFunc(args, filepath.IsAbs)
	checked, ds := s.parseCUE(args, relative)
	if len(ds) > 0 {
		return cue.Value{}, ds
	}
	dir, rel, err := cueArgs(args)
	if err != nil {
		return cue.Value{}, diag.List{ioError(args[0], err)}
	}
	// cue/load reads the package, the module file and the imports first through the reader,
	// which refuses what is not a regular file of bounded size. Then it loads again from the
	// host with everything it read given as an overlay, so it opens no file itself:
	// cue/load v0.17 cannot build from a Config.FS a package imported from cue.mod/pkg.
	load.Instances(rel, &load.Config{Dir: filepath.ToSlash(dir), FS: s.reader})
	if ds := s.reader.refusals(func(abs string) string { return s.shownName(abs, relative) }); len(ds) > 0 {
		return cue.Value{}, ds
	}
	// The module file and the imports, read by cue/load, are held to the same text rules.
	for _, abs := range s.reader.paths() {
		if checked[abs] {
			continue
		}
		data, _ := s.reader.read(abs)
		if d := textDiagnostics(s.shownName(abs, relative), data, "cue"); len(d) > 0 {
			s.readFile(abs, relative)
			ds = append(ds, d...)
		}
	}
	if len(ds) > 0 {
		return cue.Value{}, ds
	}
	insts := load.Instances(rel, &load.Config{Dir: dir, Overlay: s.reader.overlay()})
	if len(insts) != 1 {
		return cue.Value{}, diag.List{{Code: diag.CodeCUEPackages, Severity: diag.Error, Pos: diag.Position{File: args[0]},
			Summary: fmt.Sprintf("the CUE files form %d packages; give the files of one package", len(insts))}}
	}
	inst := insts[0]
	for _, f := range inst.Files {
		s.readFile(f.Filename, relative)
	}
	if inst.Err != nil {
		s.readFilesOf(inst.Err, relative)
		return cue.Value{}, s.syntaxDiagnostics(inst.Err, diag.CodeCUESyntax, "cannot load the CUE package: ")
	}
	v := s.ctx.BuildInstance(inst)
	if err := v.Err(); err != nil {
		s.value = v
		return cue.Value{}, s.diagnostics(allErrors(v, err))
	}
	return v, nil
}

// cueArgs returns the directory to load CUE from (the first argument's) and the arguments
// relative to it, written as cue/load reads file paths ("./a.cue", not an import path "a.cue").
func cueArgs(args []string) (string, []string, error) {
	first, err := filepath.Abs(args[0])
	if err != nil {
		return "", nil, err
	}
	dir := first
	if fi, err := os.Stat(first); err == nil && !fi.IsDir() {
		dir = filepath.Dir(first)
	}
	rel := make([]string, len(args))
	for i, a := range args {
		abs, err := filepath.Abs(a)
		if err != nil {
			return "", nil, err
		}
		r, err := filepath.Rel(dir, abs)
		if err != nil {
			return "", nil, err
		}
		if r != "." && !strings.HasPrefix(r, "..") {
			r = "." + string(filepath.Separator) + r
		}
		rel[i] = r
	}
	return dir, rel, nil
}

// parseCUE reads the CUE files named, or the .cue files of the directories named, and checks
// their text and syntax (cue/load would report syntax errors mixed with other problems). It
// returns the files checked, by absolute path.
func (s *Source) parseCUE(args []string, relative bool) (map[string]bool, diag.List) {
	var files []string
	for _, a := range args {
		if fi, err := os.Stat(a); err == nil && fi.IsDir() {
			m, _ := filepath.Glob(filepath.Join(a, "*.cue"))
			files = append(files, m...)
		} else {
			files = append(files, a)
		}
	}
	checked := map[string]bool{}
	var out diag.List
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err == nil {
			_, err = s.reader.readFile(abs)
		}
		if err != nil {
			out = append(out, ioError(s.shownName(abs, relative), err))
		}
		checked[abs] = true
	}
	if len(out) > 0 {
		return checked, out
	}
	for _, f := range files {
		abs, _ := filepath.Abs(f)
		s.readFile(abs, relative)
		name := s.names[abs]
		if ds := textDiagnostics(name, s.Files[name], "cue"); len(ds) > 0 {
			out = append(out, ds...)
			continue
		}
		f, err := parser.ParseFile(abs, s.Files[name])
		if err != nil {
			out = append(out, s.syntaxDiagnostics(err, diag.CodeCUESyntax, "CUE syntax error: ")...)
			continue
		}
		out = append(out, s.shapeDiagnostics(f, false)...)
	}
	return checked, out
}

// allErrors returns every error of a value that failed to build (Err gives the first only).
func allErrors(v cue.Value, err error) error {
	if all := v.Validate(); all != nil {
		return all
	}
	return err
}

// readFile keeps the text of a CUE file read, to quote it in diagnostics, under the name
// shown.
func (s *Source) readFile(name string, relative bool) {
	if _, ok := s.names[name]; ok || name == "" || name == schema.Filename {
		return
	}
	data, ok := s.reader.read(name)
	if !ok {
		return
	}
	shown := s.shownName(name, relative)
	if s.names == nil {
		s.names = map[string]string{}
	}
	s.names[name] = shown
	s.Files[shown] = data
}

// shownName returns the name diagnostics show for a file: relative to the working directory
// when the user named files so.
func (s *Source) shownName(abs string, relative bool) string {
	if wd, err := os.Getwd(); err == nil && relative && filepath.IsAbs(abs) {
		if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return abs
}

// readFilesOf keeps the text of the files an error points into (a syntax error leaves the
// instance without its files).
func (s *Source) readFilesOf(err error, relative bool) {
	for _, e := range cueerrors.Errors(err) {
		for _, p := range cueerrors.Positions(e) {
			s.readFile(p.Filename(), relative)
		}
	}
}

// syntaxDiagnostics reports errors found reading files (CUE's parser, cue/load), which have no
// field path, each summary starting with prefix.
func (s *Source) syntaxDiagnostics(err error, code diag.Code, prefix string) diag.List {
	var out diag.List
	seen := map[string]bool{}
	for _, e := range cueerrors.Errors(err) {
		f, args := e.Msg()
		d := diag.Diagnostic{Code: code, Severity: diag.Error, Summary: prefix + fmt.Sprintf(f, args...)}
		if p := e.Position(); p.IsValid() {
			d.Pos = s.position(p)
		}
		// After the first error in a file the parser's further complaints are mostly its
		// confusion.
		if seen[d.Pos.File] {
			continue
		}
		seen[d.Pos.File] = true
		out = append(out, d)
	}
	return out
}

// yamlErrorRE reads the YAML decoder's errors: "file:line: message" or "file: message".
var yamlErrorRE = regexp.MustCompile(`^(?:.*?):(?:(\d+):)? (.*)$`)

// yamlParserProblems are the YAML parser's (not scanner's) problems; for these the decoder
// names the line before the one at fault (it counts from 0).
var yamlParserProblems = []string{
	"did not find expected <document start>", "did not find expected node content",
	"did not find expected key", "did not find expected '-' indicator",
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
}

// yamlSyntaxDiagnostics turns a YAML parse error into a diagnostic; the decoder gives a line in
// its message rather than a position, and no column: the caret goes under the line's text.
func yamlSyntaxDiagnostics(name string, data []byte, err error) diag.List {
	msg := err.Error()
	p := diag.Position{File: name, Line: 1, Column: 1}
	if m := yamlErrorRE.FindStringSubmatch(msg); m != nil {
		msg = m[2]
		if n, err := strconv.Atoi(m[1]); err == nil {
			if slices.Contains(yamlParserProblems, msg) {
				n++
			}
			p.Line = n
		}
	}
	p.Column = firstColumn(data, p.Line)
	return diag.List{{Code: diag.CodeYAMLSyntax, Severity: diag.Error, Pos: p, Summary: "YAML syntax error: " + msg}}
}

// firstColumn returns the column of the first non-blank character of line n (1 when none).
func firstColumn(data []byte, n int) int {
	lines := strings.Split(string(data), "\n")
	if n < 1 || n > len(lines) {
		return 1
	}
	line := lines[n-1]
	trimmed := strings.TrimLeft(line, " \t")
	if trimmed == "" {
		return 1
	}
	return len(line) - len(trimmed) + 1
}

// jsonSyntaxDiagnostics reports a JSON syntax error with encoding/json's wording and offset,
// which say more than CUE's.
func jsonSyntaxDiagnostics(name string, data []byte, err error) diag.List {
	var v any
	jerr := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if errors.As(jerr, &se) {
		line, col := lineCol(data, int(se.Offset))
		return diag.List{{Code: diag.CodeJSONSyntax, Severity: diag.Error, Pos: diag.Position{File: name, Line: line, Column: col}, Summary: "JSON syntax error: " + se.Error()}}
	}
	p := diag.Position{File: name, Line: 1, Column: 1}
	for _, e := range cueerrors.Errors(err) {
		if pos := e.Position(); pos.IsValid() {
			p = diag.Position{File: name, Line: pos.Line(), Column: pos.Column()}
			break
		}
	}
	return diag.List{{Code: diag.CodeJSONSyntax, Severity: diag.Error, Pos: p, Summary: "JSON syntax error"}}
}

// lineCol converts a byte offset into a line and column (from 1); the offset of a JSON
// syntax error is just past the offending byte.
func lineCol(data []byte, off int) (int, int) {
	off = min(max(off-1, 0), len(data))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// position returns a CUE position as diagnostics show it.
func (s *Source) position(p token.Pos) diag.Position {
	if !p.IsValid() {
		return diag.Position{}
	}
	name := p.Filename()
	if shown, ok := s.names[name]; ok {
		name = shown
	}
	return diag.Position{File: name, Line: p.Line(), Column: p.Column()}
}

// lookup returns the user's value at path.
func (s *Source) lookup(path Path) cue.Value {
	return s.value.LookupPath(cue.MakePath(path.selectors()...))
}

// valuePos returns the position of the field at path in the user's files: of its value when
// that is a scalar (the caret goes under what is wrong), of its name otherwise. A field the
// user did not write (defaulted) has the position of its nearest written ancestor.
func (s *Source) valuePos(path Path) diag.Position {
	return s.writtenPos(path, true)
}

// keyPos is valuePos, but of the field's name.
func (s *Source) keyPos(path Path) diag.Position {
	return s.writtenPos(path, false)
}

func (s *Source) writtenPos(path Path, preferValue bool) diag.Position {
	for n := len(path); n >= 0; n-- {
		v := s.lookup(path[:n])
		if !v.Exists() {
			continue
		}
		p := v.Pos()
		if f, ok := v.Source().(*ast.Field); ok && preferValue && isScalar(f.Value) {
			p = f.Value.Pos()
		}
		if p := s.position(p); p.File != "" && s.isUserFile(p.File) {
			return p
		}
	}
	for _, name := range s.FileNames() {
		return diag.Position{File: name, Line: 1, Column: 1}
	}
	return diag.Position{}
}

func isScalar(e ast.Expr) bool {
	switch e.(type) {
	case *ast.BasicLit, *ast.Ident, *ast.UnaryExpr, *ast.Interpolation:
		return true
	}
	return false
}

// Pos returns the position of the field at path in the user's files (see valuePos).
func (s *Source) Pos(path ...cue.Selector) diag.Position {
	return s.valuePos(pathOf(path))
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
// "hosts[2].kubelet.maxPods" (see valuePos).
func (s *Source) PosOf(path string) diag.Position {
	p, ok := ParsePath(path)
	if !ok {
		return s.valuePos(nil)
	}
	return s.valuePos(p)
}

// Written reports whether the user wrote the field at path (rather than the schema
// defaulting it).
func (s *Source) Written(path string) bool {
	p, ok := ParsePath(path)
	if !ok {
		return false
	}
	return s.lookup(p).Exists()
}
