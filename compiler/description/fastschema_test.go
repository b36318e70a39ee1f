package description

import (
	"bytes"
	"testing"

	"cuelang.org/go/cue/cuecontext"

	"kubeforge.dev/kubeforge/schema"
)

// TestFastSchema checks that the schema hosts are checked with first is the schema without its
// error("...") alternatives, and nothing else removed.
func TestFastSchema(t *testing.T) {
	full, fast := schema.Source(), fastSchemaSource()
	if n := bytes.Count(full, []byte("error(")); n < 5 {
		t.Fatalf("the schema has %d error(...) alternatives; is the test still meaningful?", n)
	}
	if bytes.Contains(fast, []byte("error(")) {
		t.Error("the fast schema still has error(...) alternatives")
	}
	// What was removed is the alternatives only: putting them back gives the schema.
	removed := errorAlternativeRE.FindAll(full, -1)
	if got := len(full) - len(fast); got != len(bytes.Join(removed, nil)) {
		t.Errorf("removed %d bytes, the alternatives are %d", got, len(bytes.Join(removed, nil)))
	}
	if _, err := compileSchemas(cuecontext.New()); err != nil {
		t.Fatalf("the schemas do not compile: %v", err)
	}
}
