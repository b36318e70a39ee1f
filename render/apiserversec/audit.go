package apiserversec

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// Modes of the audit files: the policy says what is watched and the log holds who did what,
// so only root reads either (CIS 1.1.x asks 0600 or stricter of the control plane's files).
const (
	policyMode    fs.FileMode = 0o600
	policyDirMode fs.FileMode = 0o700
	logDirMode    fs.FileMode = 0o700
)

// DefaultPolicy returns kubeforge's audit policy: Metadata (who did what to which object,
// when, from where) for every request, never a request or response body; nothing for the
// health checks and for the read-only and lease traffic system components repeat all day.
// Bodies are left out everywhere because those of Secrets, ConfigMaps, service-account tokens
// and token reviews are credentials, and an audit log is copied to places secrets must not go.
func DefaultPolicy() *auditv1.Policy {
	core := func(rs ...string) auditv1.GroupResources { return auditv1.GroupResources{Group: "", Resources: rs} }
	group := func(g string, rs ...string) auditv1.GroupResources {
		return auditv1.GroupResources{Group: g, Resources: rs}
	}
	return &auditv1.Policy{
		TypeMeta: metav1.TypeMeta{APIVersion: auditv1.SchemeGroupVersion.String(), Kind: "Policy"},
		// One event per request, when the response is complete, not a second on arrival.
		OmitStages: []auditv1.Stage{auditv1.StageRequestReceived},
		Rules: []auditv1.PolicyRule{
			// Probes of load balancers and kubelets, every few seconds.
			{Level: auditv1.LevelNone, NonResourceURLs: []string{"/healthz*", "/livez*", "/readyz*", "/version"}},
			// kube-proxy's watches of what it programs.
			{Level: auditv1.LevelNone, Users: []string{"system:kube-proxy"}, Verbs: []string{"watch"},
				Resources: []auditv1.GroupResources{core("endpoints", "services", "services/status"), group("discovery.k8s.io", "endpointslices")}},
			// Kubelets reading their own Node.
			{Level: auditv1.LevelNone, UserGroups: []string{"system:nodes"}, Verbs: []string{"get"},
				Resources: []auditv1.GroupResources{core("nodes", "nodes/status")}},
			// Leader election of the controller-manager and the scheduler, and node heartbeats.
			{Level: auditv1.LevelNone, Users: []string{"system:kube-controller-manager", "system:kube-scheduler"},
				Verbs: []string{"get", "update"}, Namespaces: []string{"kube-system"},
				Resources: []auditv1.GroupResources{group("coordination.k8s.io", "leases")}},
			{Level: auditv1.LevelNone, UserGroups: []string{"system:nodes"}, Verbs: []string{"get", "update"},
				Namespaces: []string{"kube-node-lease"}, Resources: []auditv1.GroupResources{group("coordination.k8s.io", "leases")}},
			// The apiserver's own namespace bookkeeping.
			{Level: auditv1.LevelNone, Users: []string{"system:apiserver"}, Verbs: []string{"get"},
				Resources: []auditv1.GroupResources{core("namespaces", "namespaces/status", "namespaces/finalize")}},
			// Events record what already happened; auditing them doubles the writes.
			{Level: auditv1.LevelNone, Resources: []auditv1.GroupResources{core("events"), group("events.k8s.io", "events")}},
			// Credentials: said explicitly, so that a rule added above the catch-all for more
			// detail cannot capture their bodies by accident.
			{Level: auditv1.LevelMetadata, Resources: []auditv1.GroupResources{
				core("secrets", "configmaps", "serviceaccounts/token"),
				group("authentication.k8s.io", "tokenreviews"),
				group("certificates.k8s.io", "certificatesigningrequests"),
			}},
			{Level: auditv1.LevelMetadata},
		},
	}
}

// Policy returns the YAML of a's policy: the user's, or DefaultPolicy.
func Policy(a *compiler.Audit) []byte {
	p := a.Policy
	if p == nil {
		p = DefaultPolicy()
	}
	data, err := yaml.Marshal(p)
	if err != nil {
		// A Policy holds strings, lists and pointers to bools only.
		panic("apiserversec: marshalling an audit policy: " + err.Error())
	}
	return data
}

// PolicyDigest returns the hex SHA-256 of a's policy file: the apiserver's manifest carries it
// so that a new policy restarts the apiserver, which reads it only when it starts.
func PolicyDigest(a *compiler.Audit) string {
	sum := sha256.Sum256(Policy(a))
	return hex.EncodeToString(sum[:])
}

// HostArtifacts returns the audit files of host h, a control-plane host: the policy, its
// directory and the log directory, which exists 0700 before the apiserver's mount would
// create it 0755. The EncryptionConfiguration embeds keys, so render/pki places it with them.
func HostArtifacts(c *compiler.Cluster, h *compiler.Host) []artifact.Artifact {
	a := c.APIServer.Audit
	if a == nil || !h.Has(compiler.RoleControlPlane) {
		return nil
	}
	src := "apiServer.audit"
	if a.Policy != nil {
		src = "apiServer.audit.policy"
	}
	return []artifact.Artifact{
		artifact.Dir(compiler.AuditPolicyDir, policyDirMode, "apiServer.audit"),
		artifact.File(compiler.AuditPolicyPath, policyMode, Policy(a), src),
		artifact.Dir(compiler.AuditLogDir, logDirMode, "apiServer.audit"),
	}
}
