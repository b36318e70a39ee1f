package description

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// nestedYAML returns a description whose kubelet.maxPods is a list nested depth deep.
func nestedYAML(depth int) string {
	return yamlHead + "kubelet: {maxPods: " + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "}\n"
}

func TestShapeLimits(t *testing.T) {
	head := strings.Count(yamlHead, "\n")
	for _, tc := range []struct {
		name, text string
		want       string // the one diagnostic, or "" for none
	}{
		{"1000 sysctls", sysctlsYAML(1000), ""},
		{"1001 sysctls", sysctlsYAML(1001), fmt.Sprintf("d.yaml:%d:3: error: sysctls: the mapping has 1001 keys (a mapping in a description holds at most 1000 keys)", head+2+1000)},
		{"400k sysctls", sysctlsYAML(400_000), fmt.Sprintf("d.yaml:%d:3: error: sysctls: the mapping has 400000 keys (a mapping in a description holds at most 1000 keys)", head+2+1000)},
		{"1000 SANs", sansYAML(1000), ""},
		{"100k SANs", sansYAML(100_000), fmt.Sprintf("d.yaml:%d:7: error: apiServer.certSANs: the list has 100000 elements (a list in a description holds at most 1000 elements)", head+3+1000)},
		{"1001 hosts", hostsYAML(1001), ""},
		{"10001 hosts", hostsYAML(10_001), "d.yaml:10005:5: error: hosts: the list has 10001 elements (a description lists at most 10000 hosts)"},
		{"depth 63", nestedYAML(63), "d.yaml:6:11: error: kubelet.maxPods: expected an integer, got a list (the value written is a list)"},
		{"depth 64", nestedYAML(64), "d.yaml:6:83: error: kubelet.maxPods" + strings.Repeat("[0]", 63) + ": mappings and lists nested more than 64 deep (real descriptions nest a few levels deep)"},
		{"depth 100k", nestedYAML(100_000), "d.yaml:6:1: error: YAML syntax error: exceeded max depth of 10000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// No time limit here (the machine may be loaded): a blow-up in the size of the
			// input meets go test's -timeout.
			_, got := loadText("d.yaml", tc.text)
			if tc.want == "" && len(got) > 0 || tc.want != "" && (len(got) != 1 || got[0] != tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestNumbersOutOfRange(t *testing.T) {
	templates := map[string]string{
		"d.yaml": yamlHead + "sysctls:\n  kernel.x: %s\n",
		"d.json": strings.TrimSuffix(formats["json"].head, "\n") + ` "sysctls": {"kernel.x": %s}}`,
		"d.cue":  formats["cue"].head + `sysctls: "kernel.x": %s` + "\n",
	}
	for _, tc := range []struct {
		value   string
		inRange bool
	}{
		{"9223372036854775807", true}, {"-9223372036854775808", true}, {"9223372036854775808", false},
		{"-9223372036854775809", false}, {"12345678901234567890123456", false},
		{"1.5e308", true}, {"1.5e309", false}, {"-1.5e309", false}, {`"18446744073709551615"`, true},
	} {
		for name, tmpl := range templates {
			if name == "d.yaml" && strings.Contains(tc.value, "e309") {
				continue // YAML reads a float it cannot hold as a string
			}
			_, got := loadText(name, fmt.Sprintf(tmpl, tc.value))
			refused := slices.ContainsFunc(got, func(d string) bool {
				return strings.Contains(d, ": sysctls[\"kernel.x\"]: the number ") && strings.Contains(d, " is out of range")
			})
			if refused == tc.inRange {
				t.Errorf("%s in %s: %q", tc.value, name, got)
			}
		}
	}
}

// TestSysctlIntegersExact checks that a sysctl integer beyond 2^53 reaches the model as
// written, not rounded through a float64.
func TestSysctlIntegersExact(t *testing.T) {
	c, got := loadText("d.yaml", yamlHead+"sysctls:\n  kernel.shmmax: 9223372036854775807\n  kernel.shmall: 4096\n")
	if len(got) > 0 {
		t.Fatal(got)
	}
	if v := c.Sysctls["kernel.shmmax"]; v != "9223372036854775807" {
		t.Errorf("kernel.shmmax is %#v", v)
	}
	if v := c.Sysctls["kernel.shmall"]; v != float64(4096) {
		t.Errorf("kernel.shmall is %#v", v)
	}
}
