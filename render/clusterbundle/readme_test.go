package clusterbundle

import (
	"os"
	"strings"
	"testing"
)

// The README quotes Notes() verbatim, so the documentation operators read cannot drift from
// the one the bundle is tested against.
func TestREADMEQuotesNotes(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), strings.TrimSpace(Notes())) {
		t.Fatal("README.md does not contain clusterbundle.Notes(); paste the current text")
	}
}
