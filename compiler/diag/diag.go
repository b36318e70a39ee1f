// Package diag holds the diagnostics kubeforge reports about a cluster description: each with a
// stable code (codes.go, the one table of codes, listed for users in codes.md), a severity, a
// summary, what was expected, the field path and the range in the user's file.
package diag

import (
	"cmp"
	"fmt"
	"slices"
)

// Severity says whether a diagnostic stops compilation.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Position is a place in a source file; Line and Column start at 1, zero when unknown.
type Position struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

func (p Position) String() string {
	switch {
	case p.File == "":
		return "-"
	case p.Line == 0:
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Diagnostic is one problem found in a description.
type Diagnostic struct {
	Severity Severity `json:"severity"`
	Pos      Position `json:"position"`
	// Path is the field path in the description, e.g. "hosts[2].kubelet.maxPods".
	Path    string `json:"path"`
	Summary string `json:"summary"`
	// Detail says what was expected or why it matters.
	Detail string `json:"detail,omitempty"`
	// Code names the check that found the problem (see Codes); the codes of family KF00 mark
	// a file that could not be read (a usage problem, not an invalid description).
	Code Code `json:"code,omitempty"`
	// End is the position just past what Pos points at, when the source shows it (zero
	// otherwise): a range for editors and annotations.
	End Position `json:"end,omitzero"`
}

// String writes the diagnostic on one line, safe for a terminal (see WriteText).
func (d Diagnostic) String() string {
	s := fmt.Sprintf("%s: %s: %s", d.Pos, d.Severity, d.Summary)
	if d.Path != "" {
		s = fmt.Sprintf("%s: %s: %s: %s", d.Pos, d.Severity, d.Path, d.Summary)
	}
	if d.Detail != "" {
		s += " (" + d.Detail + ")"
	}
	return safe(s)
}

// List is a set of diagnostics; it is also an error when it holds an error.
type List []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (l List) HasErrors() bool {
	return slices.ContainsFunc(l, func(d Diagnostic) bool { return d.Severity == Error })
}

// Errors returns only the errors.
func (l List) Errors() List {
	return slices.DeleteFunc(slices.Clone(l), func(d Diagnostic) bool { return d.Severity != Error })
}

// Sorted returns the diagnostics ordered by file, line, column, then path and summary, without
// exact duplicates, so that output does not depend on the order checks ran in.
func (l List) Sorted() List {
	out := slices.Clone(l)
	slices.SortStableFunc(out, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Summary, b.Summary),
		)
	})
	return slices.Compact(out)
}

func (l List) Error() string {
	errs := l.Errors()
	switch len(errs) {
	case 0:
		return "no errors"
	case 1:
		return errs[0].String()
	}
	return fmt.Sprintf("%s (and %d more errors)", errs[0], len(errs)-1)
}

// Fails reports whether the diagnostics fail a command: any error, or with strict (--strict)
// any warning too. It keys on severity only, whatever the codes.
func (l List) Fails(strict bool) bool {
	return slices.ContainsFunc(l, func(d Diagnostic) bool { return d.Severity == Error || strict && d.Severity == Warning })
}

// HasIOErrors reports whether any error is about reading files rather than their content.
func (l List) HasIOErrors() bool {
	return slices.ContainsFunc(l, func(d Diagnostic) bool { return d.Severity == Error && d.Code.IsIO() })
}

// Err returns the list as an error when it holds errors, nil otherwise.
func (l List) Err() error {
	if l.HasErrors() {
		return l.Sorted()
	}
	return nil
}
