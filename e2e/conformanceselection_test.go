//go:build e2e && conformance

package e2e

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"
)

// conformanceFocus selects the release's conformance specs.
const conformanceFocus = `\[Conformance\]`

// selectionEnv names the selection to run (make conformance CONFORMANCE=NAME).
const selectionEnv = "KUBEFORGE_CONFORMANCE"

// selection is a set of conformance specs run together.
type selection struct {
	name    string
	focus   []string      // a spec is selected when one of these matches its full name ...
	exclude []string      // ... and none of these does
	procs   int           // ginkgo processes running specs at once
	timeout time.Duration // bound of the ginkgo run: what has not finished by then fails
}

// selections are the runs `make conformance` knows; the first is the default.
var selections = []selection{
	{name: "network-pods", procs: 3, timeout: 45 * time.Minute, focus: []string{
		`\[sig-network\] (DNS|Services) .*\[Conformance\]`,
		`\[sig-node\] Pods .*\[Conformance\]`,
	}},
	// Every conformance spec of the two SIGs whose subject is what the bundles configure (the
	// kubelet, the runtime, the pod network, kube-proxy, DNS), less those that must run alone
	// or disrupt the cluster: they cannot share it with parallel specs.
	{name: "node-network", procs: 3, timeout: 75 * time.Minute,
		focus:   []string{`\[sig-(node|network)\] .*\[Conformance\]`},
		exclude: []string{`\[Serial\]`, `\[Disruptive\]`}},
}

// chosenSelection returns the selection $KUBEFORGE_CONFORMANCE names, or the default.
func chosenSelection(t *testing.T) selection {
	t.Helper()
	want := os.Getenv(selectionEnv)
	if want == "" {
		return selections[0]
	}
	var names []string
	for _, s := range selections {
		if s.name == want {
			return s
		}
		names = append(names, s.name)
	}
	t.Fatalf("%s=%s: no such selection (have %v)", selectionEnv, want, names)
	return selection{}
}

// skipListFile lists, by full name, the selected specs that cannot run on this machine, each
// with its reason (relative to this package).
const skipListFile = "conformance-skips.txt"

// readSkipList reads the skip list: a spec's full name on a line of its own, then its reason
// on the indented lines that follow; '#' starts a comment line. A spec without a reason, or
// named twice, fails the test.
func readSkipList(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	skips := map[string]string{}
	var spec string
	check := func() {
		if spec != "" && strings.TrimSpace(skips[spec]) == "" {
			t.Errorf("%s: %q has no reason", path, spec)
		}
	}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case line[0] == ' ' || line[0] == '\t':
			if spec == "" {
				t.Errorf("%s:%d: a reason without a spec above it", path, n)
				continue
			}
			skips[spec] = strings.TrimSpace(skips[spec] + " " + strings.TrimSpace(line))
		default:
			check()
			spec = strings.TrimSpace(line)
			if _, dup := skips[spec]; dup {
				t.Errorf("%s:%d: %q named twice", path, n, spec)
			}
			skips[spec] = ""
		}
	}
	check()
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	return skips
}
