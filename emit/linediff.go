package emit

import (
	"bytes"
	"fmt"
	"strings"
)

// The unified diff is written here rather than taken from a library: github.com/pmezard/
// go-difflib (already in go.sum) is archived and, splitting text into lines that all end with
// a newline, cannot show a change of the final newline, nor print "\ No newline at end of
// file"; the diff of golang.org/x/tools is internal. The format is GNU diff -u's, which the
// tests compare with the real diff and apply with the real patch.

// diffContext is how many unchanged lines surround a change, as diff -u shows.
const diffContext = 3

// maxDiffCells bounds the table of the longest-common-subsequence search (after the common
// head and tail are set aside): a compared file is untrusted and may be large; beyond this a
// change is shown by fingerprints.
const maxDiffCells = 1 << 22

// unifiedDiff returns a unified diff of a and b as GNU diff -u --label oldName --label newName
// prints it; ok is false when the texts are too large to compare line by line. Equal texts
// give "".
func unifiedDiff(oldName, newName string, a, b []byte) (diff string, ok bool) {
	if bytes.Equal(a, b) {
		return "", true
	}
	x, y := splitLines(a), splitLines(b)
	ops, ok := editScript(x, y)
	if !ok {
		return "", false
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", oldName, newName)
	for _, h := range hunks(ops) {
		writeHunk(&out, ops[h.start:h.end])
	}
	return out.String(), true
}

// splitLines splits text into lines that keep their line feed; only the last may lack one.
func splitLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	lines := strings.SplitAfter(string(b), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// op is one line of an edit script.
type op struct {
	kind byte // ' ', '-' or '+'
	line string
	// ai and bi are the 0-based numbers of the lines of a and b before which op stands.
	ai, bi int
}

// editScript returns the lines of a shortest edit script turning x into y, deletions before
// insertions within a change (as diff prints them).
func editScript(x, y []string) ([]op, bool) {
	head := 0
	for head < len(x) && head < len(y) && x[head] == y[head] {
		head++
	}
	tail := 0
	for tail < len(x)-head && tail < len(y)-head && x[len(x)-1-tail] == y[len(y)-1-tail] {
		tail++
	}
	mx, my := x[head:len(x)-tail], y[head:len(y)-tail]
	if (len(mx)+1)*(len(my)+1) > maxDiffCells {
		return nil, false
	}
	var ops []op
	for i := range head {
		ops = append(ops, op{' ', x[i], i, i})
	}
	// lcs[i][j] is the length of the longest common subsequence of mx[i:] and my[j:].
	w := len(my) + 1
	lcs := make([]int32, (len(mx)+1)*w)
	for i := len(mx) - 1; i >= 0; i-- {
		for j := len(my) - 1; j >= 0; j-- {
			if mx[i] == my[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(mx) || j < len(my) {
		switch {
		case i < len(mx) && j < len(my) && mx[i] == my[j]:
			ops = append(ops, op{' ', mx[i], head + i, head + j})
			i++
			j++
		case i < len(mx) && (j == len(my) || lcs[(i+1)*w+j] >= lcs[i*w+j+1]):
			ops = append(ops, op{'-', mx[i], head + i, head + j})
			i++
		default:
			ops = append(ops, op{'+', my[j], head + i, head + j})
			j++
		}
	}
	for k := range tail {
		ops = append(ops, op{' ', x[len(x)-tail+k], len(x) - tail + k, len(y) - tail + k})
	}
	return ops, true
}

// span is a hunk: ops[start:end].
type span struct{ start, end int }

// hunks groups the changes with their context; changes at most 2×context unchanged lines
// apart share a hunk.
func hunks(ops []op) []span {
	var out []span
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start, end := max(0, k-diffContext), k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*diffContext {
				end = min(end+diffContext, len(ops))
				break
			}
			end = run
		}
		out = append(out, span{start, end})
		k = end
	}
	return out
}

// writeHunk writes one hunk: its header, then its lines, each line without a final newline
// followed by diff's marker.
func writeHunk(out *strings.Builder, ops []op) {
	var aLen, bLen int
	for _, o := range ops {
		if o.kind != '+' {
			aLen++
		}
		if o.kind != '-' {
			bLen++
		}
	}
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(ops[0].ai, aLen), hunkRange(ops[0].bi, bLen))
	for _, o := range ops {
		out.WriteByte(o.kind)
		out.WriteString(o.line)
		if !strings.HasSuffix(o.line, "\n") {
			out.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// hunkRange formats a hunk's range as diff does: "start,count", "start" alone for one line,
// and for an empty range the number of the line before it ("0,0" at the top).
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, count)
}
