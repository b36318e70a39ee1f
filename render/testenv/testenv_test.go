package testenv

import "testing"

// recorder stands in for a test, to see how Missing ends it.
type recorder struct {
	testing.TB
	failed, skipped bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Skip(...any)           { r.skipped = true }

func TestMissingFailsUnderCI(t *testing.T) {
	for _, tc := range []struct {
		ci                 string
		wantFail, wantSkip bool
	}{
		{ci: "", wantSkip: true},
		{ci: "1", wantFail: true},
		{ci: "true", wantFail: true},
	} {
		t.Setenv("CI", tc.ci)
		r := &recorder{}
		Missing(r, "%s not installed", "tool")
		if r.failed != tc.wantFail || r.skipped != tc.wantSkip {
			t.Errorf("CI=%q: failed %v skipped %v, want %v %v", tc.ci, r.failed, r.skipped, tc.wantFail, tc.wantSkip)
		}
	}
}

func TestToolFindsInstalledAndEndsOnMissing(t *testing.T) {
	t.Setenv("CI", "1")
	r := &recorder{}
	if p := Tool(r, "sh"); p == "" || r.failed {
		t.Errorf("sh: %q, failed %v", p, r.failed)
	}
	r = &recorder{}
	Tools(r, "sh", "kubeforge-no-such-program")
	if !r.failed {
		t.Error("a missing program did not fail the test under CI")
	}
}
