package diag

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"kubeforge.dev/kubeforge/compiler/untrusted"
)

// Sources gives the text of the files diagnostics point into, to quote the offending line.
type Sources map[string][]byte

// Line returns line n (from 1) of file, without its line ending (LF or CRLF).
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
	return strings.TrimSuffix(string(src), "\r"), true
}

// WriteText prints each diagnostic with an excerpt of its source line and a caret under the
// column, then a count, in the manner of a compiler. Everything printed comes from the user's
// files, so it is made safe for a terminal: control characters are escaped (Escape), a long
// line is cut to a window around the column, and a file holding private key material is
// never quoted.
func WriteText(w io.Writer, l List, src Sources) error {
	var b strings.Builder
	var errs, warns int
	files := quotedFiles{src: src}
	for _, d := range l.Sorted() {
		if d.Severity == Error {
			errs++
		} else {
			warns++
		}
		fmt.Fprintf(&b, "%s: %s: %s\n", safe(d.Pos.String()), d.Severity, safe(d.Summary))
		if d.Path != "" {
			fmt.Fprintf(&b, "    field: %s\n", safe(d.Path))
		}
		if d.Detail != "" {
			fmt.Fprintf(&b, "    %s\n", safe(d.Detail))
		}
		files.writeExcerpt(&b, d.Pos)
	}
	if errs+warns > 0 {
		fmt.Fprintf(&b, "%d error(s), %d warning(s)\n", errs, warns)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// safe returns a message for a terminal: private keys removed, control characters escaped.
func safe(s string) string {
	return Escape(untrusted.ScrubPrivateKeys(s))
}

// quotedFiles indexes the lines of the files quoted, each file once.
type quotedFiles struct {
	src   Sources
	files map[string]*quotedFile
}

type quotedFile struct {
	data []byte
	// starts holds the offset of each line.
	starts []int
	// secret is set when the file holds private key material: none of its lines is shown.
	secret bool
}

func (q *quotedFiles) file(name string) (*quotedFile, bool) {
	if f, ok := q.files[name]; ok {
		return f, true
	}
	data, ok := q.src[name]
	if !ok {
		return nil, false
	}
	f := &quotedFile{data: data, starts: []int{0}, secret: untrusted.ContainsPrivateKey(data)}
	for i, c := range data {
		if c == '\n' {
			f.starts = append(f.starts, i+1)
		}
	}
	if q.files == nil {
		q.files = map[string]*quotedFile{}
	}
	q.files[name] = f
	return f, true
}

// writeExcerpt writes the excerpt of the line at p with a caret under its column.
func (q *quotedFiles) writeExcerpt(b *strings.Builder, p Position) {
	f, ok := q.file(p.File)
	if !ok || p.Line < 1 || p.Line > len(f.starts) {
		return
	}
	if f.secret {
		b.WriteString("         | (the file holds private key material: its lines are not shown)\n")
		return
	}
	start, end := f.starts[p.Line-1], len(f.data)
	if p.Line < len(f.starts) {
		end = f.starts[p.Line] - 1
	}
	line := strings.TrimSuffix(string(f.data[start:end]), "\r")
	text, caret := excerpt(line, p.Column)
	fmt.Fprintf(b, "    %4d | %s\n", p.Line, text)
	if p.Column > 0 {
		fmt.Fprintf(b, "         | %s^\n", strings.Repeat(" ", caret))
	}
}

// WriteJSON prints the diagnostics as one JSON array, for CI annotations. Strings keep the
// user's text as it is (encoding/json escapes control characters, and writes invalid UTF-8 as
// U+FFFD), with private keys removed.
func WriteJSON(w io.Writer, l List) error {
	out := l.Sorted()
	if out == nil {
		out = List{}
	}
	for i, d := range out {
		out[i].Pos.File = untrusted.ScrubPrivateKeys(d.Pos.File)
		out[i].Path = untrusted.ScrubPrivateKeys(d.Path)
		out[i].Summary = untrusted.ScrubPrivateKeys(d.Summary)
		out[i].Detail = untrusted.ScrubPrivateKeys(d.Detail)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
