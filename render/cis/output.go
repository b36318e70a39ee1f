package cis

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteText prints the report grouped by section, one line per control, then the counts.
// Passing controls are listed too, so the output shows what was checked.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", r.Cluster, r.Benchmark)
	section := ""
	for _, c := range r.Controls {
		if c.Section != section {
			section = c.Section
			fmt.Fprintf(&b, "\n%s\n", section)
		}
		fmt.Fprintf(&b, "  %-6s %s  %s%s\n", strings.ToUpper(string(c.Status)), c.ID, c.Title, textDetail(c))
	}
	s := r.Summary
	fmt.Fprintf(&b, "\n%d controls: %d pass, %d fail, %d waived, %d manual\n", len(r.Controls), s.Pass, s.Fail, s.Waived, s.Manual)
	if len(r.UnusedWaivers) > 0 {
		fmt.Fprintf(&b, "waivers of passing controls (remove them from checks.waive): %s\n", strings.Join(r.UnusedWaivers, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// textDetail is what follows a control's title: for a failure, where and what, and the field
// that fixes it; for a waiver, its reason.
func textDetail(c Result) string {
	switch c.Status {
	case Fail, Waived:
		s := " — " + hostList(c.Hosts) + ": " + c.Detail
		if c.Field != "" {
			s += " (fix: " + c.Field + ")"
		}
		if c.Status == Waived {
			s += " (waived: " + c.Waiver + ")"
		}
		return s
	}
	return ""
}

// hostList names at most three hosts.
func hostList(hosts []string) string {
	if len(hosts) <= 3 {
		return strings.Join(hosts, ",")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(hosts[:3], ","), len(hosts)-3)
}

// WriteJSON prints the report as one JSON document (the schema is documented in doc.go).
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
