package description

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
	cuejson "cuelang.org/go/encoding/json"
	cueyaml "cuelang.org/go/encoding/yaml"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// A description file is UTF-8 text. A UTF-8 byte order mark at its very start is dropped, as
// YAML and JSON (RFC 8259) let a parser do and as editors on Windows write it; the file is
// kept and shown without it, so positions are those of the text parsed.
var bom = []byte("\uFEFF")

func withoutBOM(data []byte) []byte {
	return bytes.TrimPrefix(data, bom)
}

// textRule says why a character may not appear anywhere in a description file, comments
// included: it is not text, a terminal or an editor would act on it, or it makes a reviewer
// read something else than what is parsed.
type textRule struct {
	code    diag.Code
	summary string // with the character, e.g. "control character U+001B"
	detail  string
}

const controlDetail = "a description holds no control characters but tab and line endings (LF or CRLF)"

// textRuleOf returns the rule that forbids r (size bytes at data[i:]), if any.
func textRuleOf(data []byte, i int, r rune, size int) (textRule, bool) {
	switch {
	case r == utf8.RuneError && size == 1:
		return textRule{diag.CodeInvalidUTF8, fmt.Sprintf("invalid UTF-8 (byte 0x%02x)", data[i]), "a description is UTF-8 text"}, true
	case r == '\t' || r == '\n':
		return textRule{}, false
	case r == '\r':
		if i+1 < len(data) && data[i+1] == '\n' {
			return textRule{}, false
		}
		return textRule{diag.CodeLoneCarriageReturn, "carriage return U+000D not followed by a line feed", "lines end with LF or CRLF"}, true
	case r == 0:
		return textRule{diag.CodeControlCharacter, "NUL byte U+0000", controlDetail}, true
	case r < 0x20 || r >= 0x7f && r <= 0x9f:
		return textRule{diag.CodeControlCharacter, fmt.Sprintf("control character %U", r), controlDetail}, true
	case r == 0xFEFF:
		return textRule{diag.CodeMisplacedBOM, "byte order mark U+FEFF inside the file", "a byte order mark is ignored at the start of a file only"}, true
	case r == 0x2028 || r == 0x2029:
		return textRule{diag.CodeLineSeparator, fmt.Sprintf("line or paragraph separator %U", r), "lines end with LF or CRLF"}, true
	case isBidiControl(r):
		return textRule{diag.CodeBidiControl, fmt.Sprintf("bidirectional control character %U", r), "bidirectional controls make text read in another order than it is parsed"}, true
	}
	return textRule{}, false
}

// isBidiControl reports whether r is one of Unicode's bidirectional formatting characters.
func isBidiControl(r rune) bool {
	return r == 0x061C || r == 0x200E || r == 0x200F || r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// maxTextDiagnostics bounds the diagnostics about one file's characters (a binary file would
// give one a line).
const maxTextDiagnostics = 10

// textDiagnostics reports the characters of a file (without its BOM) that no description may
// hold, the first of each line, each at its line and column and, when the rest of the file
// parses, with the field it is in. format is "yaml", "json" or "cue".
func textDiagnostics(name string, data []byte, format string) diag.List {
	var out diag.List
	line, lineStart, lastLine := 1, 0, 0
	for i := 0; i < len(data) && len(out) < maxTextDiagnostics; {
		r, size := utf8.DecodeRune(data[i:])
		if rule, bad := textRuleOf(data, i, r, size); bad && line != lastLine {
			out = append(out, diag.Diagnostic{Code: rule.code, Severity: diag.Error, Pos: diag.Position{File: name, Line: line, Column: i - lineStart + 1},
				Summary: rule.summary, Detail: rule.detail})
			lastLine = line
		}
		i += size
		if r == '\n' {
			line, lineStart = line+1, i
		}
	}
	if len(out) == 0 {
		return nil
	}
	// The file with every offending character blanked out, to find the fields they are in.
	blanked := bytes.Clone(data)
	for i := 0; i < len(blanked); {
		r, size := utf8.DecodeRune(blanked[i:])
		if _, bad := textRuleOf(blanked, i, r, size); bad {
			copy(blanked[i:i+size], bytes.Repeat([]byte(" "), size))
		}
		i += size
	}
	fields := fieldStarts(name, blanked, format)
	for i, d := range out {
		if path, ok := fieldAt(fields, d.Pos.Line, d.Pos.Column); ok {
			out[i].Path = path.String()
		}
	}
	return out
}

// fieldStart is where a field's name or a list element starts.
type fieldStart struct {
	line, col int
	path      Path
	// keyEnd is the column just past a field's name (0 for a list element).
	keyEnd int
}

// fieldStarts parses a file and returns where each of its fields and list elements starts, in
// order; none when it does not parse.
func fieldStarts(name string, data []byte, format string) []fieldStart {
	var root ast.Node
	var err error
	switch format {
	case "yaml":
		root, err = cueyaml.Extract(name, data)
	case "json":
		root, err = cuejson.Extract(name, data)
	default:
		root, err = parser.ParseFile(name, data)
	}
	if err != nil {
		return nil
	}
	var out []fieldStart
	walkFields(root, nil, func(start, keyEnd token.Pos, path Path) {
		f := fieldStart{line: start.Line(), col: start.Column(), path: path}
		if keyEnd.IsValid() && keyEnd.Line() == f.line {
			f.keyEnd = keyEnd.Column()
		}
		out = append(out, f)
	})
	return out
}

// fieldAt returns the field a character at line:col is in: the last field or element that
// starts on that line before it; for a character in a field's name, the mapping holding it
// (the name as parsed, with the character blanked out, is not the name written; a blank
// at its end is not part of it, so the character just past it is in it).
func fieldAt(fields []fieldStart, line, col int) (Path, bool) {
	var found *fieldStart
	for i, f := range fields {
		if f.line == line && f.col <= col {
			found = &fields[i]
		}
	}
	switch {
	case found == nil:
		return nil, false
	case col <= found.keyEnd:
		parent := found.path[:len(found.path)-1]
		return parent, len(parent) > 0
	}
	return found.path, true
}

// walkFields calls f with the position (and the end of the name) and path of every field and
// list element of a parsed file, in order, as far as their names are literal.
func walkFields(n ast.Node, path Path, f func(start, keyEnd token.Pos, path Path)) {
	switch x := n.(type) {
	case *ast.File:
		for _, d := range x.Decls {
			walkFields(d, path, f)
		}
	case *ast.StructLit:
		for _, d := range x.Elts {
			walkFields(d, path, f)
		}
	case *ast.EmbedDecl:
		walkFields(x.Expr, path, f)
	case *ast.Field:
		name, _, err := ast.LabelName(x.Label)
		if err != nil {
			return
		}
		p := child(path, PathElem{name: name})
		f(x.Label.Pos(), x.Label.End(), p)
		walkFields(x.Value, p, f)
	case *ast.ListLit:
		for i, e := range x.Elts {
			p := child(path, PathElem{index: i, isIndex: true})
			f(e.Pos(), token.NoPos, p)
			walkFields(e, p, f)
		}
	}
}
