package diag

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"unicode/utf8"
)

// unsafeRunes lists what must never reach a terminal from a diagnostic: every C0 control but
// the line feed ending each printed line, DEL, C1 controls, line and paragraph separators,
// bidirectional controls, and (as U+FFFD) bytes that are not UTF-8.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20 && r != '\n', r == 0x7f, r >= 0x80 && r <= 0x9f, r == 0x2028, r == 0x2029,
		r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
		r == utf8.RuneError:
		return true
	}
	return false
}

func checkSafe(t *testing.T, out string) {
	t.Helper()
	for i, r := range out {
		if unsafeRune(r) {
			t.Errorf("output holds %U at byte %d:\n%q", r, i, out)
			return
		}
	}
}

// hostileText holds each kind of character a terminal acts on or that hides text.
const hostileText = "a\x1b[31mred\x1b]0;title\a\rover\bback\x00nul\x7fdel\u0085nel\u009bcsi\u202eevil\u2066iso\u2069\u2028ls\u061calm\xffbad\tend"

func TestWriteTextEscapesEverythingFromTheUser(t *testing.T) {
	src := Sources{"f\x1b.yaml": []byte("name: " + hostileText + "\n")}
	l := List{{Severity: Error, Pos: Position{File: "f\x1b.yaml", Line: 1, Column: 7}, Path: `labels["` + hostileText + `"]`,
		Summary: "invalid value " + hostileText, Detail: "detail " + hostileText}}
	var b bytes.Buffer
	if err := WriteText(&b, l, src); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	checkSafe(t, out)
	for _, want := range []string{`f\x1b.yaml:1:7`, `a\x1b[31mred\x1b]0;title\a\rover\bback\x00nul\x7fdel\u0085nel\u009bcsi\u202eevil\u2066iso\u2069\u2028ls\u061calm\xffbad`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Four places show the text: summary, field, detail, excerpt.
	if n := strings.Count(out, `\u202eevil`); n != 4 {
		t.Errorf("the text shows escaped %d times, want 4:\n%s", n, out)
	}
	checkSafe(t, l[0].String())
}

// caretText returns the excerpt line and the text from the caret's column in it.
func caretText(t *testing.T, out string) (string, string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "         | ") && strings.HasSuffix(l, "^") && i > 0 {
			excerpt := lines[i-1][strings.Index(lines[i-1], "| ")+2:]
			n := utf8.RuneCountInString(strings.TrimPrefix(l, "         | ")) - 1
			r := []rune(excerpt)
			if n > len(r) {
				t.Fatalf("caret beyond the excerpt:\n%s", out)
			}
			return excerpt, string(r[n:])
		}
	}
	t.Fatalf("no caret in:\n%s", out)
	return "", ""
}

func TestWriteTextQuotesAWindowOfALongLine(t *testing.T) {
	line := strings.Repeat("[", 100_000) + "X" + strings.Repeat("]", 100_000)
	for _, tc := range []struct {
		col  int
		want string // what the caret must point at
	}{
		{100_001, "X"}, {1, "["}, {len(line), "]"}, {50, "["},
	} {
		var b bytes.Buffer
		l := List{{Severity: Error, Pos: Position{File: "deep.yaml", Line: 1, Column: tc.col}, Summary: "too deep"}}
		WriteText(&b, l, Sources{"deep.yaml": []byte(line + "\n")})
		if b.Len() > 600 {
			t.Errorf("column %d: %d bytes of output for one diagnostic", tc.col, b.Len())
		}
		excerpt, at := caretText(t, b.String())
		if !strings.HasPrefix(at, tc.want) {
			t.Errorf("column %d: caret under %.10q, want %q:\n%s", tc.col, at, tc.want, b.String())
		}
		if tc.col > excerptBefore+1 && !strings.HasPrefix(excerpt, "…") || tc.col < len(line)-excerptWidth && !strings.HasSuffix(excerpt, "…") {
			t.Errorf("column %d: a cut line is not marked:\n%s", tc.col, b.String())
		}
	}
}

func TestWriteTextCaretUnderTheColumn(t *testing.T) {
	for _, tc := range []struct{ line, at string }{
		{"a\x1b[1mb: X", "X"},
		{"\tkey:\t X", "X"},
		{"é日本: X", "X"},
		{"a\u202eb: X", "X"},
		{"\xff\xfe: X", "X"},
		{strings.Repeat("日", 200) + "X" + strings.Repeat("本", 200), "X"},
		{strings.Repeat("\x1b", 300) + "X", "X"},
	} {
		col := strings.Index(tc.line, tc.at) + 1
		var b bytes.Buffer
		WriteText(&b, List{{Severity: Error, Pos: Position{File: "f", Line: 1, Column: col}, Summary: "s"}}, Sources{"f": []byte(tc.line)})
		checkSafe(t, b.String())
		if _, at := caretText(t, b.String()); !strings.HasPrefix(at, tc.at) {
			t.Errorf("%q: caret under %q:\n%s", tc.line, at, b.String())
		}
	}
}

func TestWriteTextCRLF(t *testing.T) {
	src := Sources{"f": []byte("a: 1\r\nb: x\r\n")}
	var b bytes.Buffer
	WriteText(&b, List{{Severity: Error, Pos: Position{File: "f", Line: 2, Column: 4}, Summary: "s"}}, src)
	if !strings.Contains(b.String(), "   2 | b: x\n") {
		t.Errorf("CRLF line not quoted without its CR:\n%s", b.String())
	}
	if l, _ := src.Line("f", 2); l != "b: x" {
		t.Errorf("Line: %q", l)
	}
}

func TestWriteTextNeverQuotesAFileWithAKey(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(k)
	key := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	body := strings.Split(string(key), "\n")[1]
	src := Sources{"ca.yaml": key, "ok.yaml": []byte("name: x\n")}
	l := List{
		{Severity: Error, Pos: Position{File: "ca.yaml", Line: 2, Column: 1}, Summary: "the description must be a mapping, got a string"},
		{Severity: Error, Pos: Position{File: "ca.yaml", Line: 1, Column: 1}, Summary: "invalid value " + string(key)},
		{Severity: Error, Pos: Position{File: "ok.yaml", Line: 1, Column: 7}, Summary: "s"},
	}
	var b bytes.Buffer
	WriteText(&b, l, src)
	out := b.String()
	if strings.Contains(out, body[:20]) || strings.Contains(out, "BEGIN EC PRIVATE KEY") {
		t.Errorf("key material printed:\n%s", out)
	}
	if !strings.Contains(out, "private key material") || !strings.Contains(out, "   1 | name: x") {
		t.Errorf("expected a note for the key file and the other file quoted:\n%s", out)
	}
	b.Reset()
	WriteJSON(&b, l)
	if strings.Contains(b.String(), body[:20]) {
		t.Errorf("key material in JSON:\n%s", b.String())
	}
}

func TestWriteJSONValid(t *testing.T) {
	l := List{{Severity: Error, Pos: Position{File: "f\x1b", Line: 1, Column: 1}, Path: hostileText, Summary: hostileText, Detail: hostileText}}
	var b bytes.Buffer
	if err := WriteJSON(&b, l); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b.Bytes()) {
		t.Fatalf("invalid JSON:\n%s", b.String())
	}
	if bytes.ContainsAny(b.Bytes(), "\x1b\x00\r\a\u2028") {
		t.Errorf("raw control characters in JSON:\n%q", b.String())
	}
	var back []Diagnostic
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	// The text comes back as written, but for the byte that is not UTF-8.
	want := strings.ToValidUTF8(hostileText, "\uFFFD")
	if back[0].Summary != want || back[0].Path != want || back[0].Pos.File != "f\x1b" {
		t.Errorf("JSON does not keep the text:\n%q\n%q", back[0].Summary, want)
	}
}

// FuzzWriteText checks that no source line, column or message makes WriteText print a
// character a terminal acts on, or more than a bounded excerpt, or a misplaced caret.
func FuzzWriteText(f *testing.F) {
	f.Add("name: "+hostileText, 7, "invalid value \x1b[2J")
	f.Add(strings.Repeat("[", 500), 300, "deep")
	f.Add("\xe6\x97", 2, "")
	f.Fuzz(func(t *testing.T, line string, col int, msg string) {
		if strings.Contains(line, "\n") || col < 0 {
			return
		}
		var b bytes.Buffer
		WriteText(&b, List{{Severity: Error, Pos: Position{File: "f", Line: 1, Column: col}, Summary: msg, Detail: msg, Path: msg}}, Sources{"f": []byte(line)})
		out := b.String()
		checkSafe(t, out)
		if col == 0 {
			return
		}
		// An escape is at most 4 bytes for each byte of the line.
		if excerpt, _ := caretText(t, out); len(excerpt) > 4*excerptWidth+len("……") {
			t.Errorf("%d bytes of excerpt", len(excerpt))
		}
		// The caret is under the escaped form of the character at col (or past the end).
		excerpt, at := caretText(t, out)
		i := min(col-1, len(line))
		if i < len(line) && utf8.RuneStart(line[i]) {
			_, n := utf8.DecodeRuneInString(line[i:])
			want := escape(line[i:i+n], true)
			if !strings.HasPrefix(at, want) {
				t.Errorf("column %d of %q: caret under %q, want %q (excerpt %q)", col, line, at, want, excerpt)
			}
		}
	})
}
