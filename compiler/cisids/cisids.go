// Package cisids lists the IDs of the controls kubeforge check evaluates, so that the compiler
// can refuse a waiver (checks.waive) of a control that does not exist without importing the
// benchmark itself (render/cis reads the compiled artifacts, which the compiler must not
// depend on). render/cis has one row per ID here, and a test there keeps the two in step.
package cisids

import "slices"

// CIS are the controls of the CIS Kubernetes Benchmark v1.11, numbered as kube-bench's
// cis-1.11 configuration numbers them.
var CIS = []string{
	"1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.1.6", "1.1.7", "1.1.8", "1.1.9", "1.1.10",
	"1.1.11", "1.1.12", "1.1.13", "1.1.14", "1.1.15", "1.1.16", "1.1.17", "1.1.18", "1.1.19",
	"1.1.20", "1.1.21", "1.2.1", "1.2.2", "1.2.3", "1.2.4", "1.2.5", "1.2.6", "1.2.7", "1.2.8",
	"1.2.9", "1.2.10", "1.2.11", "1.2.12", "1.2.13", "1.2.14", "1.2.15", "1.2.16", "1.2.17",
	"1.2.18", "1.2.19", "1.2.20", "1.2.21", "1.2.22", "1.2.23", "1.2.24", "1.2.25", "1.2.26",
	"1.2.27", "1.2.28", "1.2.29", "1.2.30", "1.3.1", "1.3.2", "1.3.3", "1.3.4", "1.3.5", "1.3.6",
	"1.3.7", "1.4.1", "1.4.2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "3.1.1", "3.1.2",
	"3.1.3", "3.2.1", "3.2.2", "4.1.1", "4.1.2", "4.1.3", "4.1.4", "4.1.5", "4.1.6", "4.1.7",
	"4.1.8", "4.1.9", "4.1.10", "4.2.1", "4.2.2", "4.2.3", "4.2.4", "4.2.5", "4.2.6", "4.2.7",
	"4.2.8", "4.2.9", "4.2.10", "4.2.11", "4.2.12", "4.2.13", "4.2.14", "4.2.15", "4.3.1",
	"5.1.1", "5.1.2", "5.1.3", "5.1.4", "5.1.5", "5.1.6", "5.1.7", "5.1.8", "5.1.9", "5.1.10",
	"5.1.11", "5.1.12", "5.1.13", "5.2.1", "5.2.2", "5.2.3", "5.2.4", "5.2.5", "5.2.6", "5.2.7",
	"5.2.8", "5.2.9", "5.2.10", "5.2.11", "5.2.12", "5.2.13", "5.3.1", "5.3.2", "5.4.1", "5.4.2",
	"5.5.1", "5.6.1", "5.6.2", "5.6.3", "5.6.4",
}

// NSA are the items of the NSA/CISA Kubernetes Hardening Guide (v1.2) that kubeforge check
// evaluates, under kubeforge's own names: the guide does not number its recommendations.
var NSA = []string{
	"NSA-AUTHN-ANONYMOUS",
	"NSA-AUTHZ-RBAC",
	"NSA-SECRETS-ENCRYPTED",
	"NSA-AUDIT-LOG",
	"NSA-ETCD-TLS",
	"NSA-APISERVER-ETCD-TLS",
	"NSA-KUBELET-AUTH",
	"NSA-KUBELET-READONLY-PORT",
	"NSA-CONTROLLER-MANAGER-LOCALHOST",
	"NSA-SCHEDULER-LOCALHOST",
	"NSA-HOST-FIREWALL",
	"NSA-SECCOMP-DEFAULT",
	"NSA-POD-SECURITY",
	"NSA-NETWORK-POLICIES",
	"NSA-LEAST-PRIVILEGE-RBAC",
}

// MaxLen is the length of the longest ID: a longer key names no control, and a diagnostic
// need not quote it (a waiver's key may be kilobytes long).
var MaxLen = func() int {
	n := 0
	for _, id := range append(slices.Clone(CIS), NSA...) {
		n = max(n, len(id))
	}
	return n
}()

// Known reports whether id names a control of either list.
func Known(id string) bool { return slices.Contains(CIS, id) || slices.Contains(NSA, id) }
