package description

import (
	"testing"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// TestTokenEnd: a range ends just past the value or name as written, and is left out where
// the line does not show the end.
func TestTokenEnd(t *testing.T) {
	src := &Source{Files: diag.Sources{
		"d.yaml": []byte("name: my cluster # comment\n" +
			"controlPlaneEndpoint: api.example.com:6443\n" +
			"hosts:\n" +
			"  - {name: cp1, addresses: [\"192.168.0.1\"], roles: [control-plane]}\n" +
			"x: 'it''s'\n" +
			"y: |\n" +
			"z: \"open\n"),
		"d.json": []byte("{\"kubelet\": {\"maxPods\": 110, \"x\": true}}\n"),
	}}
	for _, tc := range []struct {
		file           string
		line, col, end int // end 0: none
	}{
		{"d.yaml", 1, 1, 5},   // a key
		{"d.yaml", 1, 7, 17},  // a plain value with a blank, without the comment
		{"d.yaml", 2, 23, 43}, // a colon inside a plain value
		{"d.yaml", 4, 12, 15}, // in a flow mapping, up to the comma
		{"d.yaml", 4, 29, 42}, // a quoted string
		{"d.yaml", 4, 53, 66}, // in a flow list, up to the bracket
		{"d.yaml", 5, 4, 11},  // single quotes, with an escaped quote
		{"d.yaml", 6, 4, 0},   // a block scalar
		{"d.yaml", 7, 4, 0},   // a string continued on the next line
		{"d.yaml", 3, 1, 6},
		{"d.json", 1, 25, 28}, // a number before a comma
		{"d.json", 1, 35, 39}, // a boolean before a brace
		{"d.json", 1, 2, 11},  // a quoted key
		{"other.yaml", 1, 1, 0},
	} {
		got := src.tokenEnd(diag.Position{File: tc.file, Line: tc.line, Column: tc.col})
		want := diag.Position{}
		if tc.end != 0 {
			want = diag.Position{File: tc.file, Line: tc.line, Column: tc.end}
		}
		if got != want {
			line, _ := src.Files.Line(tc.file, tc.line)
			t.Errorf("%s:%d:%d (%q): end %v, want %v", tc.file, tc.line, tc.col, line[min(tc.col-1, len(line)):], got, want)
		}
	}
}
