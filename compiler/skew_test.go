package compiler

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// skewCluster is a layout of minors: control-plane hosts (apiserver, controllers and
// kubelet), other hosts (kubelet only) and the cluster bundle, with or without kube-proxy.
type skewCluster struct {
	cps, workers []int
	bundle       int
	noKubeProxy  bool
}

// instances builds the components' instances of the layout; each host's field names it.
func (l skewCluster) instances() map[SkewComponent][]SkewInstance {
	out := map[SkewComponent][]SkewInstance{}
	at := func(minor int) Version { return Version{Major: 1, Minor: minor} }
	for i, m := range l.cps {
		h := &Host{Name: fmt.Sprintf("cp%d", i+1)}
		in := SkewInstance{Version: at(m), Field: h.Name, Host: h}
		out[SkewAPIServer] = append(out[SkewAPIServer], in)
		out[SkewControllers] = append(out[SkewControllers], in)
		out[SkewKubelet] = append(out[SkewKubelet], in)
	}
	for i, m := range l.workers {
		h := &Host{Name: fmt.Sprintf("w%d", i+1)}
		out[SkewKubelet] = append(out[SkewKubelet], SkewInstance{Version: at(m), Field: h.Name, Host: h})
	}
	b := SkewInstance{Version: at(l.bundle), Field: "kubernetesVersion"}
	out[SkewBundle] = []SkewInstance{b}
	if !l.noKubeProxy {
		out[SkewKubeProxy] = []SkewInstance{b}
	}
	return out
}

// findings returns "CODE field" of every finding, sorted and deduplicated.
func findings(rules []SkewRule, in map[SkewComponent][]SkewInstance) []string {
	var out []string
	for _, f := range SkewFindings(rules, in) {
		out = append(out, string(f.Rule.Code)+" "+f.Subject.Field)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestSkewRules walks each rule across its boundary with minors beyond the version table
// (the rules compare minors, whatever their rows).
func TestSkewRules(t *testing.T) {
	cases := []struct {
		name   string
		layout skewCluster
		want   []string
	}{
		{"all equal", skewCluster{cps: []int{30, 30}, workers: []int{30}, bundle: 30}, nil},
		{"apiservers one apart", skewCluster{cps: []int{31, 30}, bundle: 30},
			[]string{"KF2504 cp2"}},
		{"apiservers two apart", skewCluster{cps: []int{32, 30}, bundle: 30},
			[]string{"KF2501 cp1", "KF2503 cp2", "KF2504 cp2"}},
		{"kubelet as old as the oldest apiserver", skewCluster{cps: []int{31, 30}, workers: []int{30}, bundle: 30},
			[]string{"KF2504 cp2"}},
		{"kubelet newer than the oldest apiserver", skewCluster{cps: []int{31, 30}, workers: []int{31}, bundle: 30},
			[]string{"KF2504 cp2", "KF2505 w1"}},
		{"kubelet two older", skewCluster{cps: []int{32}, workers: []int{30}, bundle: 32},
			[]string{"KF2512 w1"}},
		{"kubelet three older", skewCluster{cps: []int{33}, workers: []int{30}, bundle: 30},
			[]string{"KF2507 w1", "KF2509 kubernetesVersion"}},
		{"kubelet four older", skewCluster{cps: []int{34}, workers: []int{30}, bundle: 31},
			[]string{"KF2506 w1", "KF2507 w1", "KF2509 kubernetesVersion", "KF2512 w1"}},
		{"bundle at the oldest apiserver", skewCluster{cps: []int{31, 30}, bundle: 30},
			[]string{"KF2504 cp2"}},
		{"bundle newer than the oldest apiserver", skewCluster{cps: []int{31, 30}, bundle: 31},
			[]string{"KF2504 cp2", "KF2508 kubernetesVersion", "KF2512 cp2"}},
		{"bundle behind every apiserver", skewCluster{cps: []int{31, 31}, bundle: 30},
			[]string{"KF2509 kubernetesVersion"}},
		{"kube-proxy three older", skewCluster{cps: []int{33}, workers: []int{33}, bundle: 30},
			[]string{"KF2509 kubernetesVersion"}},
		{"kube-proxy four older", skewCluster{cps: []int{34}, workers: []int{34}, bundle: 30},
			[]string{"KF2509 kubernetesVersion", "KF2510 kubernetesVersion", "KF2511 kubernetesVersion"}},
		{"kube-proxy four older, disabled", skewCluster{cps: []int{34}, workers: []int{34}, bundle: 30, noKubeProxy: true},
			[]string{"KF2509 kubernetesVersion"}},
		{"kubelet older than kube-proxy, disabled", skewCluster{cps: []int{32}, workers: []int{31}, bundle: 32, noKubeProxy: true}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := findings(SkewRules, tc.layout.instances())
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSkewControllersDialTheirHost: controllers are compared with the apiserver they dial,
// their own host's, so a layout where it is older (which kubeforge's hosts never have) is the
// rule's one way to fire; a kubelet on a control-plane host is likewise compared with its own
// apiserver, not the oldest.
func TestSkewControllersDialTheirHost(t *testing.T) {
	in := skewCluster{cps: []int{31, 30}, bundle: 30}.instances()
	in[SkewControllers][1].Version.Minor = 31 // cp2's controllers ahead of cp2's apiserver
	if got := findings(SkewRules, in); !slices.Contains(got, "KF2502 cp2") || slices.Contains(got, "KF2505 cp1") {
		t.Errorf("findings %v: want KF2502 on cp2 and no KF2505 on cp1", got)
	}
}

// TestSkewRulesAgreeWithCodes: each rule's severity is its code's, and each KF25 code has a
// rule.
func TestSkewRulesAgreeWithCodes(t *testing.T) {
	ruled := map[diag.Code]bool{}
	for _, r := range SkewRules {
		ruled[r.Code] = true
		if diag.SeverityOf(r.Code) != r.Severity {
			t.Errorf("%s: rule says %s, code table %s", r.Code, r.Severity, diag.SeverityOf(r.Code))
		}
		if r.MaxNewer < 0 || r.MaxOlder < 0 || r.Policy == "" {
			t.Errorf("%s: incomplete rule %+v", r.Code, r)
		}
	}
	for _, info := range diag.Codes {
		if info.Code.Family() == "KF25" && !ruled[info.Code] {
			t.Errorf("%s has no rule", info.Code)
		}
	}
}

// TestSkewGroupReportedOnce: hosts that take a bad version from one group share one
// diagnostic, at the group's field, naming them.
func TestSkewGroupReportedOnce(t *testing.T) {
	var ws strings.Builder
	for i := range 5 {
		fmt.Fprintf(&ws, "  - {name: w%d, addresses: [10.0.0.%d], roles: [worker], group: new}\n", i, 20+i)
	}
	_, _, ds := LoadBytes("d.yaml", []byte(`apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
kubernetesVersion: "1.36"
groups: {new: {kubernetesVersion: "1.37"}}
hosts:
  - {name: cp1, addresses: [10.0.0.1], roles: [control-plane]}
`+ws.String()))
	var skew []diag.Diagnostic
	for _, d := range ds {
		if d.Code.Family() == "KF25" {
			skew = append(skew, d)
		}
	}
	if len(skew) != 1 || skew[0].Path != "groups.new.kubernetesVersion" || !strings.Contains(skew[0].Summary, "w0, w1, w2 and 2 more") || skew[0].Pos.Line != 5 {
		t.Errorf("diagnostics %+v", skew)
	}
}
