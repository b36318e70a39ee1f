//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// podSecurityPod is a Pod in namespace default (not exempt); hostNetwork breaks baseline.
func podSecurityPod(name string, hostNetwork bool) []byte {
	return fmt.Appendf(nil, `apiVersion: v1
kind: Pod
metadata: {name: %s, namespace: default}
spec:
  hostNetwork: %t
  containers: [{name: c, image: registry.k8s.io/pause:3.10.1}]
`, name, hostNetwork)
}

// checkPodSecurity asks the apiserver to admit two Pods with --dry-run=server (admission runs,
// nothing is stored or scheduled): the hostNetwork one must be refused by PodSecurity at the
// level examples/e2e.yaml enforces, the compliant one accepted. The apiserver having started
// at all shows it accepted the AdmissionConfiguration and the AuthenticationConfiguration.
func (s *suite) checkPodSecurity(t *testing.T) {
	ps := s.cluster.APIServer.Admission
	if ps == nil || ps.PodSecurity == nil {
		t.Fatal("examples/e2e.yaml sets no apiServer.admission.podSecurity")
	}
	if s.cluster.APIServer.Authentication == nil {
		t.Fatal("examples/e2e.yaml sets no apiServer.authentication")
	}
	level := ps.PodSecurity.Defaults.Enforce
	admin := s.superAdminConf(t)
	_, stderr, err := s.kubectl(admin, podSecurityPod("kubeforge-e2e-hostnet", true), "create", "--dry-run=server", "-f", "-")
	if want := fmt.Sprintf(`violates PodSecurity "%s:latest"`, level); err == nil || !strings.Contains(stderr, want) {
		t.Errorf("a hostNetwork Pod: err %v, stderr %q; want a refusal saying %s", err, stderr, want)
	}
	if _, stderr, err := s.kubectl(admin, podSecurityPod("kubeforge-e2e-compliant", false), "create", "--dry-run=server", "-f", "-"); err != nil {
		t.Errorf("a compliant Pod refused: %v: %s", err, stderr)
	}
	t.Logf("PodSecurity %s: the hostNetwork Pod refused (%s)", level, strings.TrimSpace(stderr))
}
