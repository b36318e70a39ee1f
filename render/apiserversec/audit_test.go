package apiserversec

import (
	"bytes"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
)

// request is what a policy rule matches.
type request struct {
	user, group, verb, ns, apiGroup, resource, url string
}

// levelFor returns the level the policy gives a request: the first matching rule's, as the
// apiserver's policy evaluator decides.
func levelFor(p *auditv1.Policy, r request) auditv1.Level {
	match := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	for _, rule := range p.Rules {
		if !match(rule.Users, r.user) || len(rule.UserGroups) > 0 && !slices.Contains(rule.UserGroups, r.group) ||
			!match(rule.Verbs, r.verb) {
			continue
		}
		if r.url != "" {
			if len(rule.Resources) > 0 || len(rule.Namespaces) > 0 {
				continue
			}
			if len(rule.NonResourceURLs) > 0 && !slices.ContainsFunc(rule.NonResourceURLs, func(u string) bool {
				prefix, wild := bytes.CutSuffix([]byte(u), []byte("*"))
				return u == r.url || wild && bytes.HasPrefix([]byte(r.url), prefix)
			}) {
				continue
			}
			return rule.Level
		}
		if len(rule.NonResourceURLs) > 0 || !match(rule.Namespaces, r.ns) {
			continue
		}
		if len(rule.Resources) > 0 && !slices.ContainsFunc(rule.Resources, func(g auditv1.GroupResources) bool {
			return g.Group == r.apiGroup && match(g.Resources, r.resource)
		}) {
			continue
		}
		return rule.Level
	}
	return auditv1.LevelNone
}

// TestDefaultPolicy decodes the default policy strictly with the official type and checks what
// it records: metadata of everything, never a body, nothing of the noise.
func TestDefaultPolicy(t *testing.T) {
	data := Policy(&compiler.Audit{})
	var p auditv1.Policy
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		t.Fatalf("strict decode: %v\n%s", err, data)
	}
	if p.APIVersion != "audit.k8s.io/v1" || p.Kind != "Policy" {
		t.Fatalf("type %s %s", p.APIVersion, p.Kind)
	}
	for _, r := range p.Rules {
		if r.Level == auditv1.LevelRequest || r.Level == auditv1.LevelRequestResponse {
			t.Errorf("rule %+v records bodies", r)
		}
	}
	admin := "kubernetes-admin"
	for _, tc := range []struct {
		r    request
		want auditv1.Level
	}{
		{request{user: admin, verb: "get", ns: "default", resource: "secrets"}, auditv1.LevelMetadata},
		{request{user: admin, verb: "create", ns: "default", resource: "configmaps"}, auditv1.LevelMetadata},
		{request{user: admin, verb: "create", apiGroup: "authentication.k8s.io", resource: "tokenreviews"}, auditv1.LevelMetadata},
		{request{user: admin, verb: "delete", ns: "default", apiGroup: "apps", resource: "deployments"}, auditv1.LevelMetadata},
		{request{user: "system:kube-proxy", verb: "watch", resource: "services"}, auditv1.LevelNone},
		{request{user: "system:kube-proxy", verb: "watch", apiGroup: "discovery.k8s.io", resource: "endpointslices"}, auditv1.LevelNone},
		// kube-proxy writing would be unusual: recorded.
		{request{user: "system:kube-proxy", verb: "update", resource: "services"}, auditv1.LevelMetadata},
		{request{user: "system:node:w1", group: "system:nodes", verb: "get", resource: "nodes"}, auditv1.LevelNone},
		{request{user: "system:kube-scheduler", verb: "update", ns: "kube-system", apiGroup: "coordination.k8s.io", resource: "leases"}, auditv1.LevelNone},
		{request{user: admin, verb: "get", url: "/healthz"}, auditv1.LevelNone},
		{request{user: admin, verb: "get", url: "/readyz/etcd"}, auditv1.LevelNone},
		{request{user: admin, verb: "get", url: "/livez"}, auditv1.LevelNone},
		{request{user: admin, verb: "get", url: "/metrics"}, auditv1.LevelMetadata},
	} {
		if got := levelFor(&p, tc.r); got != tc.want {
			t.Errorf("%+v: level %s, want %s", tc.r, got, tc.want)
		}
	}
}

// TestUserPolicyWins: the user's policy is written, not the default.
func TestUserPolicyWins(t *testing.T) {
	user := &auditv1.Policy{Rules: []auditv1.PolicyRule{{Level: auditv1.LevelRequestResponse}}}
	user.APIVersion, user.Kind = "audit.k8s.io/v1", "Policy"
	var p auditv1.Policy
	if err := yaml.UnmarshalStrict(Policy(&compiler.Audit{Policy: user}), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Rules) != 1 || p.Rules[0].Level != auditv1.LevelRequestResponse {
		t.Errorf("rules %+v", p.Rules)
	}
	if PolicyDigest(&compiler.Audit{Policy: user}) == PolicyDigest(&compiler.Audit{}) {
		t.Error("two policies, one digest")
	}
}

// TestHostArtifacts: the policy and the log directory reach control-plane hosts only, root
// only, and not at all without apiServer.audit.
func TestHostArtifacts(t *testing.T) {
	src := `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
kubernetesVersion: "1.36"
apiServer:
  audit: {}
hosts:
  - {name: cp1, addresses: [10.0.0.1], roles: [control-plane]}
  - {name: w1, addresses: [10.0.0.2], roles: [worker]}
`
	c := compilertest.LoadYAML(t, src)
	got := map[string]fs.FileMode{}
	for _, a := range HostArtifacts(c, compilertest.Host(t, c, "cp1")) {
		got[a.Path] = a.Mode
		if a.UID != 0 || a.GID != 0 || len(a.Sources) == 0 {
			t.Errorf("%s: owner %d:%d, sources %v", a.Path, a.UID, a.GID, a.Sources)
		}
	}
	want := map[string]fs.FileMode{
		compiler.AuditPolicyDir:  fs.ModeDir | 0o700,
		compiler.AuditPolicyPath: 0o600,
		compiler.AuditLogDir:     fs.ModeDir | 0o700,
	}
	if !maps.Equal(got, want) {
		t.Errorf("cp1: %v, want %v", got, want)
	}
	if arts := HostArtifacts(c, compilertest.Host(t, c, "w1")); len(arts) > 0 {
		t.Errorf("a worker received %v", arts)
	}
	c = compilertest.LoadYAML(t, strings.Replace(src, "  audit: {}\n", "  certSANs: []\n", 1))
	if arts := HostArtifacts(c, compilertest.Host(t, c, "cp1")); len(arts) > 0 {
		t.Errorf("without apiServer.audit: %v", arts)
	}
}
