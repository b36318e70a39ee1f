//go:build e2e && conformance

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// specReport is the part of one entry of a Ginkgo JSON report the suite reads. A spec's name
// is its full text, the texts of its containers and its own joined by spaces: what ginkgo's
// --focus and --skip match, and what e2e.test --list-tests prints.
type specReport struct {
	ContainerHierarchyTexts []string
	LeafNodeType            string // "It" for a spec; suite-level nodes have others
	LeafNodeText            string
	State                   string // passed, skipped, pending, failed, panicked, ...
	Failure                 *struct {
		Message  string
		Location struct {
			FileName   string
			LineNumber int
		}
	}
}

// name returns the spec's full text.
func (r specReport) name() string {
	return strings.Join(append(slices.Clone(r.ContainerHierarchyTexts), r.LeafNodeText), " ")
}

// runReport is a run's results by spec name.
type runReport struct {
	suite string // the suite's description ("Kubernetes e2e suite")

	passed []string
	failed []specFailure
	// skipped are the specs the run skipped itself (filtered out, or by a spec's own
	// e2eskipper call); neither passed nor failed.
	skipped []string
}

// specFailure is a spec, or a suite-level node, that failed, with Ginkgo's message.
type specFailure struct{ name, message string }

// readGinkgoReport reads a Ginkgo JSON report (--json-report): one suite, or the merged report
// of ginkgo's parallel processes.
func readGinkgoReport(path string) (*runReport, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var suites []struct {
		SuiteDescription string
		SpecReports      []specReport
	}
	if err := json.Unmarshal(data, &suites); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r := &runReport{}
	for _, s := range suites {
		r.suite = s.SuiteDescription
		for _, sr := range s.SpecReports {
			isSpec := sr.LeafNodeType == "It"
			switch sr.State {
			case "passed":
				if isSpec {
					r.passed = append(r.passed, sr.name())
				}
			case "skipped", "pending":
				if isSpec {
					r.skipped = append(r.skipped, sr.name())
				}
			default:
				name := sr.name()
				if !isSpec {
					name = sr.LeafNodeType
				}
				msg := sr.State
				if sr.Failure != nil {
					msg = fmt.Sprintf("%s at %s:%d", sr.Failure.Message, sr.Failure.Location.FileName, sr.Failure.Location.LineNumber)
				}
				r.failed = append(r.failed, specFailure{name: name, message: msg})
			}
		}
	}
	return r, nil
}

// notRun returns the selected specs that neither passed, failed nor were in the skip list.
func (r *runReport) notRun(p *conformancePlan) []string {
	var out []string
	for _, name := range p.selected {
		if _, skipped := p.skipped[name]; skipped || slices.Contains(r.passed, name) {
			continue
		}
		if slices.ContainsFunc(r.failed, func(f specFailure) bool { return f.name == name }) {
			continue
		}
		out = append(out, name)
	}
	return out
}

// summary is the run's result in a few lines: passed / selected / total with the release,
// the failed specs, and the skipped specs with their reasons.
func (r *runReport) summary(p *conformancePlan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "conformance %s: %d passed, %d failed, %d skipped (skip list) of %d selected; %d [Conformance] specs in the release\n",
		p.sel.name, len(r.passed), len(r.failed), len(p.skipped), len(p.selected), p.total)
	for _, f := range r.failed {
		fmt.Fprintf(&b, "failed: %s\n", f.name)
	}
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
