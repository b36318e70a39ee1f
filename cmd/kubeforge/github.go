package main

import (
	"fmt"
	"strings"

	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/compiler/untrusted"
)

// annotation is a GitHub Actions workflow command that annotates a file of the pull request:
// ::error file=F,line=L,col=C,title=T::message
type annotation struct {
	Level string // "error", "warning" or "notice"
	File  string
	Line  int
	Col   int
	// EndLine and EndCol close the range (zero: none).
	EndLine, EndCol int
	Title           string
	Message         string
}

// String returns the workflow command, escaped as GitHub's runner unescapes it: in the
// message %, CR and LF; in properties also ':' and ','. A description's text thus cannot end
// the line and start a command of its own.
func (a annotation) String() string {
	var props []string
	if a.File != "" {
		props = append(props, "file="+escapeProperty(a.File))
		if a.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", a.Line))
			if a.Col > 0 {
				props = append(props, fmt.Sprintf("col=%d", a.Col))
			}
			if a.EndLine > 0 {
				props = append(props, fmt.Sprintf("endLine=%d", a.EndLine))
				if a.EndCol > 0 {
					props = append(props, fmt.Sprintf("endColumn=%d", a.EndCol))
				}
			}
		}
	}
	if a.Title != "" {
		props = append(props, "title="+escapeProperty(a.Title))
	}
	cmd := "::" + a.Level
	if len(props) > 0 {
		cmd += " " + strings.Join(props, ",")
	}
	return cmd + "::" + escapeData(untrusted.ScrubPrivateKeys(a.Message))
}

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func escapeData(s string) string     { return dataEscaper.Replace(s) }
func escapeProperty(s string) string { return propertyEscaper.Replace(s) }

// diagnosticAnnotation turns a diagnostic into an annotation at its position.
func diagnosticAnnotation(d diag.Diagnostic) string {
	a := annotation{Level: string(d.Severity), File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Column,
		EndLine: d.End.Line, EndCol: d.End.Column, Title: strings.TrimSpace("kubeforge " + string(d.Code)), Message: d.Summary}
	if d.Path != "" {
		a.Title += ": " + d.Path
	}
	if d.Detail != "" {
		a.Message += "\n" + d.Detail
	}
	return a.String()
}
