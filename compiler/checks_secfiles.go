package compiler

import "kubeforge.dev/kubeforge/compiler/diag"

// Flags that apiServer.encryptionAtRest and apiServer.audit set: an extra arg of the same
// name would point the apiserver elsewhere than the files kubeforge emits.
var (
	encryptionFlags = []string{"encryption-provider-config"}
	auditFlags      = []string{"audit-policy-file", "audit-log-path", "audit-log-maxage", "audit-log-maxbackup", "audit-log-maxsize"}
)

// securityFiles checks apiServer.encryptionAtRest and apiServer.audit against each other and
// against the apiserver's extra args. The policy itself is checked when it is read
// (readAuditPolicy).
func (k *checker) securityFiles() {
	a := k.c.APIServer
	if e := a.EncryptionAtRest; e != nil {
		k.fieldSetFlags(diag.CodeSecurityFileFlag, encryptionFlags, "apiServer.encryptionAtRest")
		seen := map[string]bool{}
		for i, key := range e.Keys {
			if seen[key.Name] {
				k.errorf(diag.CodeEncryptionKeyNamedTwice, FieldPath("apiServer", "encryptionAtRest", "keys", i, "name"),
					"a key name says which key encrypted a value (k8s:enc:<provider>:v1:<name>:); give every key its own", "encryption key %q is listed twice", key.Name)
			}
			seen[key.Name] = true
		}
		seen = map[string]bool{}
		for i, r := range e.Resources {
			if seen[r] {
				k.errorf(diag.CodeEncryptionResourceTwice, FieldPath("apiServer", "encryptionAtRest", "resources", i),
					"the apiserver refuses an EncryptionConfiguration naming a resource twice", "resource %q is listed twice", r)
			}
			seen[r] = true
		}
	}
	if a.Audit != nil {
		k.fieldSetFlags(diag.CodeSecurityFileFlag, auditFlags, "apiServer.audit")
		return
	}
	args := a.ExtraArgs
	if _, ok := args["audit-policy-file"]; ok {
		return
	}
	for _, flag := range []string{"audit-log-path", "audit-webhook-config-file"} {
		if _, ok := args[flag]; ok {
			k.warnf(diag.CodeAuditLogWithoutPolicy, FieldPath("apiServer", "extraArgs", Key(flag)),
				"without --audit-policy-file the apiserver has no rule and records no event; set apiServer.audit (kubeforge's default policy, the log directory and its mount) instead of the flags",
				"--%s without --audit-policy-file: nothing is audited", flag)
		}
	}
}

// fieldSetFlags reports, as code, the apiserver extra args among flags, which field sets
// instead (to the file kubeforge emits).
func (k *checker) fieldSetFlags(code diag.Code, flags []string, field string) {
	for _, flag := range flags {
		if _, ok := k.c.APIServer.ExtraArgs[flag]; ok {
			k.errorf(code, FieldPath("apiServer", "extraArgs", Key(flag)),
				field+" sets it to the file kubeforge emits; remove the extra arg",
				"--%s is set by %s", flag, field)
		}
	}
}
