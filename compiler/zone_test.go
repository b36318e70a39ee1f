package compiler

import (
	"regexp"
	"testing"

	"kubeforge.dev/kubeforge/schema"
)

// The schema writes the zone name pattern itself (CUE cannot import Go); it must be the
// pattern the renderer checks with.
func TestZoneNamePatternIsTheSchemas(t *testing.T) {
	m := regexp.MustCompile(`(?m)^\s*zone:\s*\*"public"\s*\|\s*=~"([^"]*)"`).FindSubmatch(schema.Source())
	if m == nil {
		t.Fatal("the schema has no firewall.zone pattern of the form zone: *\"public\" | =~\"...\"")
	}
	if got := string(m[1]); got != ZoneNamePattern {
		t.Errorf("schema's zone pattern %s, compiler.ZoneNamePattern %s", got, ZoneNamePattern)
	}
}
