//go:build e2e && conformance

package e2e

import (
	"encoding/xml"
	"fmt"
	"os"
	"slices"
	"strings"
)

// junitReport is the part of a Ginkgo JUnit report the suite reads: one test case per spec
// (and per suite-level node), with its state.
type junitReport struct {
	Suites []struct {
		Cases []junitCase `xml:"testcase"`
	} `xml:"testsuite"`

	passed []string
	failed []junitFailure
	// skipped are the specs the run skipped itself (filtered out, or by a spec's own
	// e2eskipper call); neither passed nor failed.
	skipped []string
}

// junitCase is one test case.
type junitCase struct {
	Name    string `xml:"name,attr"`
	Status  string `xml:"status,attr"`
	Failure *struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	} `xml:"failure"`
	Skipped *struct {
		Message string `xml:"message,attr"`
	} `xml:"skipped"`
}

// junitFailure is a spec that failed, with Ginkgo's message.
type junitFailure struct{ name, message string }

// specPrefix starts the name of a spec's test case ("[It] [sig-node] Pods should ...").
const specPrefix = "[It] "

// readJUnit reads a Ginkgo JUnit report.
func readJUnit(path string) (*junitReport, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r junitReport
	if err := xml.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, s := range r.Suites {
		for _, c := range s.Cases {
			name, isSpec := strings.CutPrefix(c.Name, specPrefix)
			switch {
			case c.Failure != nil || c.Status == "failed" || c.Status == "panicked" || c.Status == "interrupted" || c.Status == "aborted" || c.Status == "timedout":
				msg := c.Status
				if c.Failure != nil {
					msg = c.Failure.Message + "\n" + c.Failure.Text
				}
				r.failed = append(r.failed, junitFailure{name: c.Name, message: msg})
			case !isSpec:
			case c.Skipped != nil || c.Status == "skipped" || c.Status == "pending":
				r.skipped = append(r.skipped, name)
			default:
				r.passed = append(r.passed, name)
			}
		}
	}
	return &r, nil
}

// ran returns the specs that ran and did not fail (in a dry run: the selected specs).
func (r *junitReport) ran() []string { return r.passed }

// notRun returns the selected specs that neither passed, failed nor were in the skip list.
func (r *junitReport) notRun(p *conformancePlan) []string {
	var out []string
	for _, name := range p.selected {
		if _, skipped := p.skipped[name]; skipped || slices.Contains(r.passed, name) {
			continue
		}
		if slices.ContainsFunc(r.failed, func(f junitFailure) bool { return strings.TrimPrefix(f.name, specPrefix) == name }) {
			continue
		}
		out = append(out, name)
	}
	return out
}

// summary is the run's result in a few lines: passed / selected / total with the release,
// and the skipped specs with their reasons.
func (r *junitReport) summary(p *conformancePlan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "conformance %s: %d passed, %d failed, %d skipped (skip list) of %d selected; %d [Conformance] specs in the release\n",
		p.sel.name, len(r.passed), len(r.failed), len(p.skipped), len(p.selected), p.total)
	names := make([]string, 0, len(p.skipped))
	for n := range p.skipped {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, "skipped: %s\n    %s\n", n, p.skipped[n])
	}
	return strings.TrimRight(b.String(), "\n")
}
