package emit

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/render/testenv"
)

// diffCases are the edge cases of the unified format, old → new.
var diffCases = map[string][2]string{
	"empty old":                {"", "a\nb\n"},
	"empty new":                {"a\nb\n", ""},
	"empty old, no newline":    {"", "a"},
	"insert at start":          {"b\nc\nd\ne\nf\n", "a\nb\nc\nd\ne\nf\n"},
	"insert at end":            {"a\nb\nc\nd\ne\n", "a\nb\nc\nd\ne\nf\n"},
	"one line replaced":        {"a\n", "b\n"},
	"old lacks final newline":  {"a\nb\nc", "a\nb\nc\n"},
	"new lacks final newline":  {"a\nb\nc\n", "a\nb\nc"},
	"final newline only":       {"x\n", "x"},
	"both lack, last differs":  {"a\nb", "a\nc"},
	"crlf line changed":        {"a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\n"},
	"crlf to lf":               {"a\r\nb\r\n", "a\nb\n"},
	"changes 6 apart, 1 hunk":  {"1\n2\n3\n4\n5\n6\n7\n8\n", "x\n2\n3\n4\n5\n6\n7\ny\n"},
	"changes 7 apart, 2 hunks": {"1\n2\n3\n4\n5\n6\n7\n8\n9\n", "x\n2\n3\n4\n5\n6\n7\n8\ny\n"},
	"middle of a long file":    {numbered(40, -1, ""), numbered(40, 20, "twenty\n")},
	"deleted block":            {numbered(20, -1, ""), strings.Replace(numbered(20, -1, ""), "8\n9\n10\n", "", 1)},
}

// numbered returns lines "1".."n", line at replaced by with.
func numbered(n, at int, with string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i == at {
			b.WriteString(with)
			continue
		}
		b.WriteString(strings.Repeat("l", i%3) + string(rune('0'+i%10)) + "\n")
	}
	return b.String()
}

// TestUnifiedDiffIsGNUDiffs compares every edge case with what GNU diff -u prints.
func TestUnifiedDiffIsGNUDiffs(t *testing.T) {
	diffBin := testenv.Tool(t, "diff")
	for name, c := range diffCases {
		dir := t.TempDir()
		oldPath, newPath := filepath.Join(dir, "old"), filepath.Join(dir, "new")
		os.WriteFile(oldPath, []byte(c[0]), 0o644)
		os.WriteFile(newPath, []byte(c[1]), 0o644)
		want, _ := exec.Command(diffBin, "-u", "--label", "a/etc/x", "--label", "b/etc/x", oldPath, newPath).Output()
		got, ok := unifiedDiff("a/etc/x", "b/etc/x", []byte(c[0]), []byte(c[1]))
		if !ok || got != string(want) {
			t.Errorf("%s: got\n%s\nGNU diff prints\n%s", name, got, want)
		}
	}
}

// TestUnifiedDiffApplies applies the edge cases and random texts with GNU patch, which must
// turn the old text into the new one exactly.
func TestUnifiedDiffApplies(t *testing.T) {
	patchBin, err := exec.LookPath("patch")
	if err != nil {
		testenv.Missing(t, "GNU patch not installed")
	}
	cases := map[string][2]string{}
	for k, v := range diffCases {
		cases[k] = v
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 150 {
		cases["random "+string(rune('a'+i%26))+string(rune('a'+i/26))] = [2]string{randomText(rnd), randomText(rnd)}
	}
	for name, c := range cases {
		if c[0] == c[1] {
			continue
		}
		d, ok := unifiedDiff("a/etc/x", "b/etc/x", []byte(c[0]), []byte(c[1]))
		if !ok {
			t.Fatalf("%s: not diffed", name)
		}
		root := t.TempDir()
		os.MkdirAll(filepath.Join(root, "etc"), 0o755)
		target := filepath.Join(root, "etc", "x")
		os.WriteFile(target, []byte(c[0]), 0o644)
		cmd := exec.Command(patchBin, "-p1", "-s", "-f", "--no-backup-if-mismatch", "-d", root)
		cmd.Stdin = strings.NewReader(d)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: patch: %v\n%s\ndiff:\n%s", name, err, out, d)
			continue
		}
		got, err := os.ReadFile(target)
		if c[1] == "" && os.IsNotExist(err) {
			continue // patch removes a file the diff empties
		}
		if !bytes.Equal(got, []byte(c[1])) {
			t.Errorf("%s: patched text %q, want %q\ndiff:\n%s", name, got, c[1], d)
		}
	}
}

// randomText returns up to 12 lines from a small alphabet (so that lines repeat), CRLF now
// and then, and sometimes no final newline.
func randomText(r *rand.Rand) string {
	var b strings.Builder
	n := r.IntN(13)
	for i := range n {
		b.WriteString([]string{"a", "b", "c", "d", "", "  x"}[r.IntN(6)])
		switch {
		case i == n-1 && r.IntN(4) == 0:
		case r.IntN(8) == 0:
			b.WriteString("\r\n")
		default:
			b.WriteString("\n")
		}
	}
	return b.String()
}

func TestUnifiedDiffHunks(t *testing.T) {
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n"
	b := "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n11\n12\n13\n14\n"
	got, _ := unifiedDiff("a", "b", []byte(a), []byte(b))
	// Changes more than 2×3 lines apart make two hunks.
	want := "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n@@ -11,3 +11,4 @@\n 11\n 12\n 13\n+14\n"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	if d, ok := unifiedDiff("a", "b", []byte(a), []byte(a)); d != "" || !ok {
		t.Fatal("equal texts must give no diff")
	}
}

// TestUnifiedDiffBoundsWork: two large texts differing everywhere are not compared line by
// line (the table would be too large); a large text with one change is.
func TestUnifiedDiffBoundsWork(t *testing.T) {
	var a, b strings.Builder
	for i := range 5000 {
		a.WriteString("a" + string(rune('0'+i%10)) + "\n")
		b.WriteString("b" + string(rune('0'+i%10)) + "\n")
	}
	if _, ok := unifiedDiff("a", "b", []byte(a.String()), []byte(b.String())); ok {
		t.Error("25M-cell comparison was attempted")
	}
	one := strings.Replace(a.String(), "a5\n", "changed\n", 1)
	if d, ok := unifiedDiff("a", "b", []byte(a.String()), []byte(one)); !ok || !strings.Contains(d, "-a5\n+changed\n") {
		t.Errorf("one change in a large file: ok=%v\n%s", ok, d)
	}
}
