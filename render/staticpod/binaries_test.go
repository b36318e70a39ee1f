package staticpod

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/internal/realbin"
)

// binDir returns the directory of the real v1.37 binaries.
func binDir(t *testing.T) string { return realbin.Dir(t) }

// helpFlag matches a flag's definition line in --help output, in pflag's style
// ("      --secure-port int") and etcd's ("  --snapshot-count '10000'").
var helpFlag = regexp.MustCompile(`(?m)^\s+(?:-[A-Za-z], )?--([a-z0-9][a-z0-9-]*)(?:[ =]|$)`)

// knownFlags returns the flag names a binary's --help lists.
func knownFlags(t *testing.T, bin string) map[string]bool {
	t.Helper()
	out, _ := exec.Command(bin, "--help").CombinedOutput()
	known := map[string]bool{}
	for _, m := range helpFlag.FindAllStringSubmatch(string(out), -1) {
		known[m[1]] = true
	}
	if len(known) < 10 {
		t.Fatalf("%s --help lists %d flags; output:\n%s", bin, len(known), out)
	}
	return known
}

// TestFlagsAcceptedByBinaries renders the examples and the test descriptions at 1.37 (the
// binaries' minor) and has each real binary parse every command line: names must be in its
// --help, and the binary must accept the values (it parses all flags before honouring a
// trailing --help, and exits non-zero on an unknown flag or a malformed value).
func TestFlagsAcceptedByBinaries(t *testing.T) {
	dir := binDir(t)
	v, rel, err := compiler.ParseVersion("1.37.1")
	if err != nil {
		t.Fatal(err)
	}
	var clusters []*compiler.Cluster
	for _, ex := range examples {
		clusters = append(clusters, compilertest.Load(t, ex))
	}
	for _, y := range []string{customYAML, externalEtcdYAML, ipv6YAML} {
		clusters = append(clusters, compilertest.LoadYAML(t, y))
	}
	known := map[string]map[string]bool{}
	tried := map[string]bool{}
	for _, c := range clusters {
		c.Version, c.Release = v, rel
		for _, h := range c.Hosts {
			h.Version, h.Release = v, rel
			for name, p := range podsOf(t, c, h) {
				cmd := p.Spec.Containers[0].Command
				bin := filepath.Join(dir, cmd[0])
				if known[cmd[0]] == nil {
					known[cmd[0]] = knownFlags(t, bin)
				}
				for _, arg := range cmd[1:] {
					flag, _, _ := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
					if !strings.HasPrefix(arg, "--") || !known[cmd[0]][flag] {
						t.Errorf("%s %s: %s does not know %s", c.Name, h.Name, name, arg)
					}
				}
				key := strings.Join(cmd, " ")
				if tried[key] {
					continue
				}
				tried[key] = true
				out, err := exec.Command(bin, append(cmd[1:], "--help")...).CombinedOutput()
				if err != nil {
					t.Errorf("%s %s: %s refuses its command line (%v): %s\n%q", c.Name, h.Name, name, err, complaint(out), cmd)
				}
			}
		}
	}
	if len(tried) == 0 {
		t.Fatal("no command line tried")
	}
}

// complaint returns the line of a binary's output that says what it refused.
func complaint(out []byte) string {
	lines := strings.Split(string(out), "\n")
	for _, l := range lines {
		if strings.Contains(l, "rror") || strings.Contains(l, "invalid") || strings.Contains(l, "not defined") {
			return l
		}
	}
	return lines[0]
}
