//go:build e2e

package e2e

import (
	"testing"
	"time"
)

// TestControlPlane boots the compiled cluster with every static pod started as a plain
// process and proves, with the real programs, what issue 5 lists (numbered as there) and what
// the cluster bundle adds (issue 8): what needs a control plane but no kubelet (TestWorkloads
// runs the same bundles through real kubelets).
func TestControlPlane(t *testing.T) {
	began := time.Now()
	t.Cleanup(func() { t.Logf("total time, setup to cleanup: %s", time.Since(began).Round(time.Second)) })
	s := newSuite(t)
	t.Logf("setup (network, CLI build, compile) took %s", time.Since(began).Round(time.Second))

	etcd := s.startPods(t, func(sp staticPod) bool { return sp.pod.Name == podEtcd })
	if !t.Run("1 etcd members form a cluster over TLS", func(t *testing.T) { s.checkEtcd(t, etcd) }) {
		t.FailNow()
	}
	s.startPods(t, func(sp staticPod) bool { return sp.pod.Name != podEtcd })
	if !t.Run("2 apiservers ready with their etcd client certificates", s.checkAPIServers) {
		t.FailNow()
	}
	t.Run("3 admin.conf and super-admin.conf identities", s.checkAdminIdentities)
	t.Run("4 static pod manifests pass server-side validation", s.checkManifestsDryRun)
	t.Run("5 controller-manager and scheduler healthy and leading", s.checkControllers)
	t.Run("6 node identity and node IPAM", s.checkNodeIdentity)
	t.Run("7 service account tokens and front proxy", s.checkTokensAndFrontProxy)
	t.Run("7a Secrets encrypted at rest in etcd", s.checkEncryptionAtRest)
	t.Run("7b audit log records at Metadata", s.checkAuditLog)
	t.Run("7c Pod Security enforces baseline", s.checkPodSecurity)
	t.Run("8 kubelet serving certificates", s.checkKubeletServingCerts)
	t.Run("cluster bundle applied and working", s.checkClusterBundle)
	// Last: it restarts the apiservers and leaves them on another key.
	t.Run("9 encryption key rotated in three stages, the Secret readable after each", s.checkEncryptionRotation)
	t.Logf("checks done after %s", time.Since(began).Round(time.Second))
}
