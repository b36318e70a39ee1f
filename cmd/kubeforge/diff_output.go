package main

import (
	"io"

	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/emit"
)

// diffReport is the outcome of a diff, printed in the form --output asks. The three writers
// below are the only code that knows how a Change looks on the outside: when emit gives
// Change its own JSON and annotation forms, they are where to switch.
type diffReport struct {
	Against     string
	Equal       bool
	Diagnostics diag.List
	Changes     []emit.Change
	Error       string
}

// diffJSON is the document `diff --output json` prints: emit's report of the changes, with
// what the command adds (the tree compared, the diagnostics, an error).
type diffJSON struct {
	Against     string    `json:"against"`
	Equal       bool      `json:"equal"`
	Diagnostics diag.List `json:"diagnostics"`
	emit.DiffReport
	Error string `json:"error,omitempty"`
}

func writeDiffJSON(w io.Writer, r *diffReport) error {
	doc := diffJSON{Against: r.Against, Equal: r.Equal, Diagnostics: r.Diagnostics,
		DiffReport: emit.DiffReport{Changes: r.Changes, Summary: emit.Summarize(r.Changes)}, Error: r.Error}
	if doc.Changes == nil {
		doc.Changes = []emit.Change{}
	}
	return writeJSON(w, doc)
}

// writeDiffText lists each change, with its diff unless nameOnly, then a count.
func writeDiffText(w io.Writer, r *diffReport, nameOnly bool) error {
	return emit.WriteDiffText(w, r.Changes, nameOnly)
}

// writeDiffGitHub annotates each change at its file of the compared tree, then the counts.
func writeDiffGitHub(w io.Writer, r *diffReport) error {
	if len(r.Changes) == 0 {
		return nil
	}
	return emit.WriteDiffAnnotations(w, r.Against, r.Changes)
}
