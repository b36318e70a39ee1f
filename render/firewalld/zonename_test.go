package firewalld

import (
	"encoding/json"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
)

// zoneNameSamples are names on both sides of every edge of the rule: case, first character,
// length, punctuation, non-ASCII and control bytes.
var zoneNameSamples = []string{
	"public", "kubernetes", "k8s", "a", "0", "zone_1", "zone-1", "a-", "a_",
	strings.Repeat("z", 16), strings.Repeat("z", 17), strings.Repeat("z", 18), "",
	"Public", "PUBLIC", "kubeForge", "K8S", "-zone", "_zone", "zone.1", "zone 1", "zone/1",
	"../etc", "zöne", "zone\n", "zone\x00", "Ⅻ", "public;drop",
}

// The schema and the renderer cannot disagree on a zone name: every sample the schema refuses
// the renderer refuses too, and every one it accepts the renderer writes.
func TestZoneNameRuleIsTheSchemas(t *testing.T) {
	base := loadInline(t, "")
	for _, name := range zoneNameSamples {
		quoted, err := json.Marshal(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _, diags := compiler.LoadBytes("t.yaml", []byte(minimal+"firewall: {zone: "+string(quoted)+"}\n"))
		schemaOK := !diags.HasErrors()
		c := *base
		c.Firewall.Zone = name
		_, err = Artifacts(&c, c.Hosts[0])
		if renderOK := err == nil; renderOK != schemaOK {
			t.Errorf("zone %q: schema accepts %v (%v), renderer accepts %v (%v)", name, schemaOK, diags, renderOK, err)
		}
		if err != nil && !strings.Contains(err.Error(), "firewall.zone") {
			t.Errorf("zone %q: error %v does not name firewall.zone", name, err)
		}
	}
}
