package emit

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
)

// DiffSummary counts the changes of a diff.
type DiffSummary struct {
	Added   int `json:"added"`
	Removed int `json:"removed"`
	Changed int `json:"changed"`
	// Total is the number of files that differ; 0 means the output matches the compile.
	Total int `json:"total"`
}

// Summarize counts changes by kind.
func Summarize(changes []Change) DiffSummary {
	var s DiffSummary
	for _, c := range changes {
		switch c.Kind {
		case Added:
			s.Added++
		case Removed:
			s.Removed++
		case Changed:
			s.Changed++
		}
	}
	s.Total = len(changes)
	return s
}

// DiffReport is what `kubeforge diff --output json` prints: the changes in order and their
// counts. Fields are only ever added.
type DiffReport struct {
	Changes []Change    `json:"changes"`
	Summary DiffSummary `json:"summary"`
}

// WriteDiffJSON writes the changes as an indented DiffReport with a final newline; changes is
// an empty array, never null, when nothing differs.
func WriteDiffJSON(w io.Writer, changes []Change) error {
	r := DiffReport{Changes: changes, Summary: Summarize(changes)}
	if r.Changes == nil {
		r.Changes = []Change{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteDiffText writes the changes as `kubeforge diff` prints them: one "KIND BUNDLE:PATH" line
// each with its detail indented below (left out with nameOnly), then a count when any differ.
func WriteDiffText(w io.Writer, changes []Change, nameOnly bool) error {
	var b strings.Builder
	for _, c := range changes {
		b.WriteString(c.String() + "\n")
		if !nameOnly && c.Detail != "" {
			b.WriteString(indent(c.Detail) + "\n")
		}
	}
	if len(changes) > 0 {
		fmt.Fprintf(&b, "%d file(s) differ\n", len(changes))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// indent prefixes every line of s with four spaces (a final newline stays as it is).
func indent(s string) string {
	body, nl := strings.CutSuffix(s, "\n")
	out := "    " + strings.ReplaceAll(body, "\n", "\n    ")
	if nl {
		out += "\n"
	}
	return out
}

// WriteDiffAnnotations writes the changes as GitHub Actions workflow commands: one ::error
// per change, on the file of the compared tree (dir as the workflow names it, relative to the
// repository, then BUNDLE/PATH), and a ::notice with the counts. Messages and properties are
// escaped as the runner expects, so a file name cannot start a command of its own.
func WriteDiffAnnotations(w io.Writer, dir string, changes []Change) error {
	var b strings.Builder
	for _, c := range changes {
		file := path.Join(dir, c.Bundle, c.Path)
		msg := fmt.Sprintf("%s %s:%s", c.Kind, c.Bundle, c.Path)
		if c.Detail != "" {
			msg += "\n" + c.Detail
		}
		fmt.Fprintf(&b, "::error file=%s,title=%s::%s\n", escapeProperty(file), escapeProperty("kubeforge diff: "+string(c.Kind)), escapeData(msg))
	}
	s := Summarize(changes)
	fmt.Fprintf(&b, "::notice title=kubeforge diff::%s\n", escapeData(fmt.Sprintf("%d file(s) differ: %d added, %d removed, %d changed", s.Total, s.Added, s.Removed, s.Changed)))
	_, err := io.WriteString(w, b.String())
	return err
}

// escapeData escapes a workflow command's message (the runner's escapeData).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value (the runner's escapeProperty).
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
