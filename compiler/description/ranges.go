package description

import (
	"strings"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// RangeOf returns where the field at path is written (see PosOf) and the position just past
// the value or name written there, when the source shows it (see tokenEnd).
func (s *Source) RangeOf(path string) (start, end diag.Position) {
	start = s.PosOf(path)
	return start, s.tokenEnd(start)
}

// withEnds gives the diagnostics about fields (those with a path) the end of what their
// position points at, where the source shows it.
func (s *Source) withEnds(ds diag.List) diag.List {
	for i, d := range ds {
		if d.Path != "" && d.End == (diag.Position{}) {
			ds[i].End = s.tokenEnd(d.Pos)
		}
	}
	return ds
}

// tokenEnd returns the position just past the scalar or field name that starts at p, read
// from the user's file as written: a quoted string up to its closing quote; a plain one up to
// the end of the line, a comment or, in a flow mapping or list (JSON, CUE, YAML's {} and []),
// a separator. A mapping, a list, a block scalar or a string continued on another line has no
// end on the line, and gets none (a zero Position).
func (s *Source) tokenEnd(p diag.Position) diag.Position {
	if p.Line < 1 || p.Column < 1 {
		return diag.Position{}
	}
	line, ok := s.Files.Line(p.File, p.Line)
	if !ok || p.Column > len(line) {
		return diag.Position{}
	}
	before, rest := line[:p.Column-1], line[p.Column-1:]
	flow := !strings.HasSuffix(p.File, ".yaml") && !strings.HasSuffix(p.File, ".yml") || openFlow(before)
	n := tokenLength(rest, flow)
	if n == 0 {
		return diag.Position{}
	}
	return diag.Position{File: p.File, Line: p.Line, Column: p.Column + n}
}

// tokenLength returns the length in bytes of the token at the start of rest, 0 when it has no
// end on this line.
func tokenLength(rest string, flow bool) int {
	switch rest[0] {
	case '"':
		for i := 1; i < len(rest); i++ {
			switch rest[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return 0
	case '\'':
		for i := 1; i < len(rest); i++ {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					i++
					continue
				}
				return i + 1
			}
		}
		return 0
	case '{', '[', '|', '>', '-', ' ', '\t', '#':
		return 0
	}
	end := len(rest)
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c == '#' && i > 0 && (rest[i-1] == ' ' || rest[i-1] == '\t'),
			c == ':' && (i+1 == len(rest) || rest[i+1] == ' ' || rest[i+1] == '\t'),
			flow && (c == ',' || c == '}' || c == ']'):
			end = i
		default:
			continue
		}
		break
	}
	return len(strings.TrimRight(rest[:end], " \t"))
}

// openFlow reports whether text, the start of a YAML line, leaves a flow mapping or list
// open (outside quoted strings).
func openFlow(text string) bool {
	depth := 0
	var quote byte
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		}
	}
	return depth > 0
}
