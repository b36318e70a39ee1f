package emit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

var reportChanges = []Change{
	{Bundle: "cp1", Path: "/etc/new.conf", Kind: Added, Detail: "0644, 4 bytes"},
	{Bundle: "cp1", Path: "/etc/x.yaml", Kind: Changed, Detail: "--- a/etc/x.yaml\n+++ b/etc/x.yaml\n@@ -1 +1 @@\n-a\n+b\n"},
	{Bundle: "w1", Path: "/etc/stray", Kind: Removed},
}

// TestDiffText keeps the text kubeforge diff has always printed: the change line, the detail
// indented by four spaces (a detail ending in a newline is followed by a blank line), the
// count.
func TestDiffText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteDiffText(&b, reportChanges, false); err != nil {
		t.Fatal(err)
	}
	want := "added cp1:/etc/new.conf\n    0644, 4 bytes\n" +
		"changed cp1:/etc/x.yaml\n    --- a/etc/x.yaml\n    +++ b/etc/x.yaml\n    @@ -1 +1 @@\n    -a\n    +b\n\n" +
		"removed w1:/etc/stray\n3 file(s) differ\n"
	if b.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	WriteDiffText(&b, reportChanges, true)
	if want := "added cp1:/etc/new.conf\nchanged cp1:/etc/x.yaml\nremoved w1:/etc/stray\n3 file(s) differ\n"; b.String() != want {
		t.Errorf("names only:\n%s", b.String())
	}
	b.Reset()
	WriteDiffText(&b, nil, false)
	if b.Len() != 0 {
		t.Errorf("no change printed %q", b.String())
	}
}

// TestDiffJSON pins the JSON document: field names, order, an empty array when equal.
func TestDiffJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteDiffJSON(&b, reportChanges[2:]); err != nil {
		t.Fatal(err)
	}
	want := `{
  "changes": [
    {
      "bundle": "w1",
      "path": "/etc/stray",
      "kind": "removed"
    }
  ],
  "summary": {
    "added": 0,
    "removed": 1,
    "changed": 0,
    "total": 1
  }
}
`
	if b.String() != want {
		t.Errorf("json:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	WriteDiffJSON(&b, nil)
	var r DiffReport
	if err := json.Unmarshal(b.Bytes(), &r); err != nil || r.Changes == nil || !strings.Contains(b.String(), `"changes": []`) {
		t.Errorf("equal output: %s (%v)", b.String(), err)
	}
	b.Reset()
	WriteDiffJSON(&b, reportChanges)
	if err := json.Unmarshal(b.Bytes(), &r); err != nil || len(r.Changes) != 3 || r.Changes[1] != reportChanges[1] ||
		r.Summary != (DiffSummary{Added: 1, Removed: 1, Changed: 1, Total: 3}) {
		t.Errorf("round trip: %+v %v", r, err)
	}
}

// TestDiffAnnotations: one ::error line per change on the file in the repository, the detail
// kept (escaped) in the message, and names that try to start commands of their own escaped.
func TestDiffAnnotations(t *testing.T) {
	hostile := Change{Bundle: "cp1", Path: "/etc/a,b:c\n::error file=x::pwned%0A", Kind: Removed}
	var b bytes.Buffer
	if err := WriteDiffAnnotations(&b, "golden/ha", append(reportChanges, hostile)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	want := []string{
		"::error file=golden/ha/cp1/etc/new.conf,title=kubeforge diff%3A added::added cp1:/etc/new.conf%0A0644, 4 bytes",
		"::error file=golden/ha/cp1/etc/x.yaml,title=kubeforge diff%3A changed::changed cp1:/etc/x.yaml%0A--- a/etc/x.yaml%0A+++ b/etc/x.yaml%0A@@ -1 +1 @@%0A-a%0A+b%0A",
		"::error file=golden/ha/w1/etc/stray,title=kubeforge diff%3A removed::removed w1:/etc/stray",
		"::error file=golden/ha/cp1/etc/a%2Cb%3Ac%0A%3A%3Aerror file=x%3A%3Apwned%250A,title=kubeforge diff%3A removed::removed cp1:/etc/a,b:c%0A::error file=x::pwned%250A",
		"::notice title=kubeforge diff::4 file(s) differ: 1 added, 2 removed, 1 changed",
	}
	if len(lines) != len(want) {
		t.Fatalf("annotations:\n%s", b.String())
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d:\n%s\nwant:\n%s", i, lines[i], want[i])
		}
	}
}
