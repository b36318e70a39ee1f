//go:build e2e

package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"

	"kubeforge.dev/kubeforge/compiler"
)

// checkControllers proves point 5: on every control plane, the controller-manager and the
// scheduler answer their HTTPS health checks on the secure port the manifest and the port
// table name, and one of each holds its leader lease.
func (s *suite) checkControllers(t *testing.T) {
	ports := map[string]int{
		podControllerManager: s.cluster.PortNamed(compiler.PortNameControllerManager).From,
		podScheduler:         s.cluster.PortNamed(compiler.PortNameScheduler).From,
	}
	for _, h := range s.controlPlanes() {
		for _, name := range []string{podControllerManager, podScheduler} {
			sp := s.podOf(t, h, name)
			ctr, _ := sp.container()
			pr := ctr.LivenessProbe
			if pr == nil || pr.HTTPGet == nil || pr.HTTPGet.Scheme != corev1.URISchemeHTTPS {
				t.Errorf("%s: want an HTTPS liveness probe, have %+v", sp.name(), pr)
				continue
			}
			port, err := probePort(ctr, pr)
			if err != nil {
				t.Error(err)
				continue
			}
			if flag, ok := flagValue(append(ctr.Command, ctr.Args...), "secure-port"); ok && flag != strconv.Itoa(port) {
				t.Errorf("%s: probe port %d but --secure-port=%s", sp.name(), port, flag)
			}
			if port != ports[name] {
				t.Errorf("%s: probe port %d, port table says %d", sp.name(), port, ports[name])
			}
			answers, err := s.waitProbes(sp, time.Minute)
			if err != nil {
				t.Error(err)
				continue
			}
			t.Logf("%s: %s", sp.name(), strings.Join(answers, "; "))
		}
	}

	superAdmin := s.superAdminConf(t)
	for _, lease := range []string{podControllerManager, podScheduler} {
		var holder string
		err := waitFor(s.ctx, "lease kube-system/"+lease, 2*time.Minute, nil, func() error {
			out, _, err := s.kubectl(superAdmin, nil, "get", "lease", "-n", "kube-system", lease, "-o", "json")
			if err != nil {
				return err
			}
			var l coordv1.Lease
			decodeJSON(t, out, &l)
			if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" {
				return errNotYet
			}
			holder = *l.Spec.HolderIdentity
			return nil
		})
		if err != nil {
			t.Error(err)
			continue
		}
		// Holder identities are "<hostname>_<uuid>"; each host runs under its own name.
		if !s.isControlPlaneName(strings.SplitN(holder, "_", 2)[0]) {
			t.Errorf("lease %s held by %q, not by a control-plane host", lease, holder)
		}
		t.Logf("$ kubectl get lease -n kube-system %s: holder %s", lease, holder)
	}
}

// probePort returns the port number a probe targets.
func probePort(ctr *corev1.Container, pr *corev1.Probe) (int, error) {
	if pr.HTTPGet.Port.StrVal != "" {
		return containerPort(ctr, pr.HTTPGet.Port.StrVal)
	}
	if p := pr.HTTPGet.Port.IntValue(); p > 0 {
		return p, nil
	}
	return 0, fmt.Errorf("container %s: probe without a port", ctr.Name)
}

// isControlPlaneName reports whether name is a control-plane host's.
func (s *suite) isControlPlaneName(name string) bool {
	for _, h := range s.controlPlanes() {
		if h.name == name {
			return true
		}
	}
	return false
}
