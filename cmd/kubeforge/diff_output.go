package main

import (
	"fmt"
	"io"
	"path"
	"strings"

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

// diffJSON is the document `diff --output json` prints.
type diffJSON struct {
	Against     string       `json:"against"`
	Equal       bool         `json:"equal"`
	Diagnostics diag.List    `json:"diagnostics"`
	Changes     []changeJSON `json:"changes"`
	Error       string       `json:"error,omitempty"`
}

type changeJSON struct {
	Bundle string `json:"bundle"`
	Path   string `json:"path"`
	Kind   string `json:"kind"`
	Detail string `json:"detail,omitempty"`
}

func writeDiffJSON(w io.Writer, r *diffReport) error {
	doc := diffJSON{Against: r.Against, Equal: r.Equal, Diagnostics: r.Diagnostics, Changes: []changeJSON{}, Error: r.Error}
	for _, c := range r.Changes {
		doc.Changes = append(doc.Changes, changeJSON{Bundle: c.Bundle, Path: c.Path, Kind: c.Kind, Detail: c.Detail})
	}
	return writeJSON(w, doc)
}

// writeDiffText lists each change, with its diff unless nameOnly, then a count.
func writeDiffText(w io.Writer, r *diffReport, nameOnly bool) error {
	var b strings.Builder
	for _, c := range r.Changes {
		fmt.Fprintln(&b, c)
		if !nameOnly && c.Detail != "" {
			fmt.Fprintln(&b, indent(c.Detail))
		}
	}
	if len(r.Changes) > 0 {
		fmt.Fprintf(&b, "%d file(s) differ\n", len(r.Changes))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeDiffGitHub annotates each change: at the file of the compared tree when it has one
// (changed and removed files), then the count as a plain line.
func writeDiffGitHub(w io.Writer, r *diffReport) error {
	var b strings.Builder
	for _, c := range r.Changes {
		a := annotation{Level: "error", Title: "kubeforge diff: " + c.Kind,
			Message: fmt.Sprintf("%s: the compiled description differs from %s", c, r.Against)}
		if c.Kind != "added" {
			a.File = path.Join(r.Against, c.Bundle, c.Path)
		}
		if c.Detail != "" {
			a.Message += "\n" + c.Detail
		}
		fmt.Fprintln(&b, a)
	}
	if len(r.Changes) > 0 {
		fmt.Fprintf(&b, "%d file(s) differ from %s\n", len(r.Changes), r.Against)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// indent indents every line of s by four spaces.
func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ")
}
