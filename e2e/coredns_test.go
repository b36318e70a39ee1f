//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
)

// coreDNSDeployment is the name of CoreDNS's Deployment, as the cluster bundle (and kubeadm)
// creates it.
const coreDNSDeployment = "coredns"

// checkCoreDNS waits for the bundle's CoreDNS Deployment to have all its replicas available:
// their readiness probes pass, which needs the API through the kubernetes Service.
func (s *suite) checkCoreDNS(t *testing.T) map[string]int32 {
	superAdmin := s.superAdminConf(t)
	var d appsv1.Deployment
	err := waitFor(s.ctx, "Deployment kube-system/"+coreDNSDeployment+" available", 4*time.Minute, nil, func() error {
		out, _, err := s.kubectl(superAdmin, nil, "get", "deployment", "-n", "kube-system", coreDNSDeployment, "-o", "json")
		if err != nil {
			return err
		}
		d = appsv1.Deployment{}
		decodeJSON(t, out, &d)
		want := ptrOr(d.Spec.Replicas, 1)
		if d.Status.AvailableReplicas != want || d.Status.UpdatedReplicas != want {
			return fmt.Errorf("%d of %d replicas available", d.Status.AvailableReplicas, want)
		}
		return nil
	})
	if err != nil {
		if out, _, err := s.kubectl(superAdmin, nil, "describe", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns"); err == nil {
			t.Logf("$ kubectl describe pods -n kube-system -l k8s-app=kube-dns\n%s", tail(out, 60))
		}
		t.Fatal(err)
	}
	t.Logf("Deployment %s: %d/%d available", coreDNSDeployment, d.Status.AvailableReplicas, ptrOr(d.Spec.Replicas, 1))
	return s.podRestarts(t, "k8s-app=kube-dns")
}
