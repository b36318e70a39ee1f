package cis

import "testing"

// TestAnonymousConditions: with structured authentication, CIS 1.2.1 and NSA-AUTHN-ANONYMOUS
// pass when anonymous is off or limited to the health endpoints, and fail when any other path
// (or every path) is open to anonymous requests.
func TestAnonymousConditions(t *testing.T) {
	for name, tc := range map[string]struct {
		anonymous string
		want      Status
	}{
		"health paths only": {`{enabled: true, conditions: [{path: /livez}, {path: /readyz}, {path: /healthz}]}`, Pass},
		"disabled":          {`{enabled: false}`, Pass},
		"every path":        {`{enabled: true}`, Fail},
		"an API path":       {`{enabled: true, conditions: [{path: /livez}, {path: /api}]}`, Fail},
	} {
		t.Run(name, func(t *testing.T) {
			rep := compileChecked(t, edit("    anonymous-auth: \"false\"\n", "", "  audit:", "  authentication: {anonymous: "+tc.anonymous+"}\n  audit:"))
			for _, id := range []string{"1.2.1", "NSA-AUTHN-ANONYMOUS"} {
				if r := statusOf(rep, id); r.Status != tc.want {
					t.Errorf("%s: %s (%q), want %s", id, r.Status, r.Detail, tc.want)
				}
			}
		})
	}
}
