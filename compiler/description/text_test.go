package description

import (
	"fmt"
	"strings"
	"testing"
)

// loadText loads one description held in memory, decodes it, and returns its diagnostics as
// text.
func loadText(name, text string) (*Cluster, []string) {
	src, ds := LoadBytes(name, []byte(text))
	var c *Cluster
	if !ds.HasErrors() {
		c, ds = Decode(src)
	}
	var out []string
	for _, d := range ds {
		out = append(out, d.String())
	}
	return c, out
}

var formats = map[string]struct {
	name, head, field string // field: %s is replaced by the value, written as in the format
}{
	"yaml": {"d.yaml", yamlHead, "apiServer:\n  extraArgs:\n    v: \"a%sb\"\n"},
	"json": {"d.json", `{"apiVersion": "kubeforge.dev/v1alpha1", "kind": "Cluster", "name": "t", "hosts": [{"name": "cp1", "addresses": ["192.168.0.11"], "roles": ["control-plane"]}],` + "\n", "\"apiServer\": {\"extraArgs\": {\"v\": \"a%sb\"}}}\n"},
	"cue":  {"d.cue", "apiVersion: \"kubeforge.dev/v1alpha1\"\nkind: \"Cluster\"\nname: \"t\"\nhosts: [{name: \"cp1\", addresses: [\"192.168.0.11\"], roles: [\"control-plane\"]}]\n", "apiServer: extraArgs: v: \"a%sb\"\n"},
}

// TestTextRefused writes each character no description file may hold into a string of each
// format: it is reported at its own line and column, with the field, whatever the format.
func TestTextRefused(t *testing.T) {
	for _, tc := range []struct{ char, summary string }{
		{"\x00", "NUL byte U+0000"},
		{"\x01", "control character U+0001"},
		{"\x07", "control character U+0007"},
		{"\x1b", "control character U+001B"},
		{"\x7f", "control character U+007F"},
		{"\u0085", "control character U+0085"},
		{"\u009b", "control character U+009B"},
		{"\r", "carriage return U+000D not followed by a line feed"},
		{"\v", "control character U+000B"},
		{"\f", "control character U+000C"},
		{"\xff", "invalid UTF-8 (byte 0xff)"},
		{"\xc3", "invalid UTF-8 (byte 0xc3)"},
		{"\xed\xa0\x80", "invalid UTF-8 (byte 0xed)"}, // a UTF-16 surrogate
		{"\uFEFF", "byte order mark U+FEFF inside the file"},
		{"\u2028", "line or paragraph separator U+2028"},
		{"\u2029", "line or paragraph separator U+2029"},
		{"\u202e", "bidirectional control character U+202E"},
		{"\u202a", "bidirectional control character U+202A"},
		{"\u2066", "bidirectional control character U+2066"},
		{"\u2069", "bidirectional control character U+2069"},
		{"\u200f", "bidirectional control character U+200F"},
		{"\u061c", "bidirectional control character U+061C"},
	} {
		for format, f := range formats {
			text := f.head + strings.Replace(f.field, "%s", tc.char, 1)
			line := strings.Count(f.head, "\n") + strings.Count(f.field[:strings.Index(f.field, "%s")], "\n") + 1
			lineStart := strings.LastIndex(text[:strings.Index(text, tc.char)], "\n") + 1
			col := strings.Index(text, tc.char) - lineStart + 1
			_, got := loadText(f.name, text)
			want := fmt.Sprintf("%s:%d:%d: error: apiServer.extraArgs.v: %s (", f.name, line, col, tc.summary)
			if len(got) != 1 || !strings.HasPrefix(got[0], want) {
				t.Errorf("%q in %s: got %q, want %s...", tc.char, format, got, want)
			}
		}
	}
}

// TestTextAccepted checks what a description file may hold: a BOM at the start, CRLF line
// ends, and any printable character (positions in such files: the hostile corpus, text-*).
func TestTextAccepted(t *testing.T) {
	for format, f := range formats {
		for name, text := range map[string]string{
			"bom":        "\uFEFF" + f.head + strings.Replace(f.field, "%s", "", 1),
			"crlf":       strings.ReplaceAll(f.head+strings.Replace(f.field, "%s", "", 1), "\n", "\r\n"),
			"printables": f.head + strings.Replace(f.field, "%s", "é日本\u00a0🙂", 1),
		} {
			c, got := loadText(f.name, text)
			if len(got) > 0 || c == nil || !strings.HasPrefix(c.APIServer.ExtraArgs["v"], "a") {
				t.Errorf("%s in %s: %q", name, format, got)
			}
		}
	}
}
