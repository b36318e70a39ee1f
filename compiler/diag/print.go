package diag

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Sources gives the text of the files diagnostics point into, to quote the offending line.
type Sources map[string][]byte

// Line returns line n (from 1) of file, without its newline.
func (s Sources) Line(file string, n int) (string, bool) {
	src, ok := s[file]
	if !ok || n < 1 {
		return "", false
	}
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(src, '\n')
		if j < 0 {
			return "", false
		}
		src = src[j+1:]
	}
	if j := bytes.IndexByte(src, '\n'); j >= 0 {
		src = src[:j]
	}
	return string(src), true
}

// WriteText prints each diagnostic with its source line and a caret under the column, then a
// count, in the manner of a compiler.
func WriteText(w io.Writer, l List, src Sources) error {
	var b strings.Builder
	var errs, warns int
	for _, d := range l.Sorted() {
		if d.Severity == Error {
			errs++
		} else {
			warns++
		}
		fmt.Fprintf(&b, "%s: %s: %s\n", d.Pos, d.Severity, d.Summary)
		if d.Path != "" {
			fmt.Fprintf(&b, "    field: %s\n", d.Path)
		}
		if d.Detail != "" {
			fmt.Fprintf(&b, "    %s\n", d.Detail)
		}
		if text, ok := src.Line(d.Pos.File, d.Pos.Line); ok {
			fmt.Fprintf(&b, "    %4d | %s\n", d.Pos.Line, strings.ReplaceAll(text, "\t", " "))
			if d.Pos.Column > 0 {
				fmt.Fprintf(&b, "         | %s^\n", strings.Repeat(" ", d.Pos.Column-1))
			}
		}
	}
	if errs+warns > 0 {
		fmt.Fprintf(&b, "%d error(s), %d warning(s)\n", errs, warns)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON prints the diagnostics as one JSON array, for CI annotations.
func WriteJSON(w io.Writer, l List) error {
	out := l.Sorted()
	if out == nil {
		out = List{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
