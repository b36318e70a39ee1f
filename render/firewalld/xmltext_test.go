package firewalld

import (
	"encoding/xml"
	"strings"
	"testing"
)

// marshal is fed hostile strings directly, bypassing the schema.
func TestMarshalRefusesWhatXMLCannotCarry(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"NUL in a description", service{Description: "a\x00b"}},
		{"newline in a short name", service{Short: "a\nb"}},
		{"escape sequence", zone{Description: "\x1b[2J"}},
		{"C1 control", zone{Description: "a\u0085b"}},
		{"noncharacter", zone{Description: "a\uFFFEb"}},
		{"invalid UTF-8", zone{Short: "a\xffb"}},
		{"control character in an attribute", zone{Services: []zoneItem{{Name: "ssh\x01"}}}},
		{"double dash in a comment", service{Comment: " cluster a--b "}},
		{"comment ending in a dash", zone{Comment: " cluster a-"}},
	} {
		if data, err := marshal(tc.v); err == nil {
			t.Errorf("%s: written:\n%s", tc.name, data)
		}
	}
}

// Markup in text and attributes is escaped, and reads back exactly.
func TestMarshalEscapesMarkup(t *testing.T) {
	hostile := `</description><service name="x"/><!-- & ' " ]]> {{ y }}`
	in := zone{Comment: " " + commentText("a--b--") + " ", Short: hostile, Description: hostile, Services: []zoneItem{{Name: hostile}}}
	data, err := marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out zone
	if err := xml.Unmarshal(data, &out); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if out.Short != hostile || out.Description != hostile || len(out.Services) != 1 || out.Services[0].Name != hostile {
		t.Errorf("read back %+v\nfrom\n%s", out, data)
	}
	if want := "<!-- a-&#45;b-&#45; -->"; !strings.Contains(string(data), want) {
		t.Errorf("no %s in\n%s", want, data)
	}
}
