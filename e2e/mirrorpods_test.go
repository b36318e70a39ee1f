//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// mirrorPod returns the mirror pod of a static pod (NAME-NODE), or an error until it exists.
func (s *suite) mirrorPod(t *testing.T, sp staticPod) (*corev1.Pod, error) {
	out, _, err := s.kubectl(s.superAdminConf(t), nil, "get", "pod", "-n", sp.pod.Namespace, sp.pod.Name+"-"+sp.host.nodeName, "-o", "json")
	if err != nil {
		return nil, err
	}
	var p corev1.Pod
	decodeJSON(t, out, &p)
	return &p, nil
}

// podReady returns nil when the pod is Running with its Ready condition true, and otherwise
// what it is.
func podReady(p *corev1.Pod) error {
	if p.Status.Phase != corev1.PodRunning {
		return fmt.Errorf("phase %s", p.Status.Phase)
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			if c.Status != corev1.ConditionTrue {
				return fmt.Errorf("Ready %s: %s %s", c.Status, c.Reason, c.Message)
			}
			return nil
		}
	}
	return fmt.Errorf("no Ready condition")
}

// checkStaticPodContainers proves that the kubelets run every static pod of every bundle as
// a container of the image its manifest names, and that the mirror pods are Running and Ready:
// the manifests' startup and readiness probes pass when the kubelet runs them. It returns
// each container's restart count at that moment.
func (s *suite) checkStaticPodContainers(t *testing.T, nodes []*node) map[string]int32 {
	restarts := map[string]int32{}
	for _, n := range nodes {
		pods, err := staticPods(n.host)
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range pods {
			ctr, err := sp.container()
			if err != nil {
				t.Fatal(err)
			}
			var p *corev1.Pod
			err = waitFor(s.ctx, "mirror pod of "+sp.name()+" Running and Ready", 5*time.Minute, []*process{n.kubelet, n.containerd}, func() error {
				if p, err = s.mirrorPod(t, sp); err != nil {
					return err
				}
				return podReady(p)
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := p.Annotations["kubernetes.io/config.mirror"]; !ok {
				t.Errorf("%s is not a mirror pod (no kubernetes.io/config.mirror annotation)", p.Name)
			}
			if len(p.Status.ContainerStatuses) != 1 {
				t.Fatalf("%s: %d container statuses", p.Name, len(p.Status.ContainerStatuses))
			}
			cs := p.Status.ContainerStatuses[0]
			if !strings.HasPrefix(cs.ContainerID, "containerd://") || cs.State.Running == nil || !cs.Ready || cs.Started == nil || !*cs.Started {
				t.Errorf("%s: container %s not a running, started, ready containerd container: %+v", p.Name, cs.ContainerID, cs)
			}
			if cs.Image != ctr.Image {
				t.Errorf("%s runs image %s, the manifest names %s", p.Name, cs.Image, ctr.Image)
			}
			if p.Spec.NodeName != n.host.nodeName {
				t.Errorf("%s on node %s, want %s", p.Name, p.Spec.NodeName, n.host.nodeName)
			}
			restarts[p.Namespace+"/"+p.Name] = cs.RestartCount
			t.Logf("%s: Running and Ready on %s, %s %s, restarts %d", p.Name, p.Spec.NodeName, cs.Image, shortID(cs.ContainerID), cs.RestartCount)
		}
	}
	if len(restarts) == 0 {
		t.Fatal("no static pods in any bundle")
	}
	out, _, err := s.kubectl(s.superAdminConf(t), nil, "get", "pods", "-n", "kube-system", "-o", "wide")
	if err == nil {
		t.Logf("$ kubectl get pods -n kube-system -o wide\n%s", strings.TrimSpace(out))
	}
	return restarts
}

// checkNoRestarts proves that no container of the given pods ("namespace/name" -> restart
// count when Ready) restarted since: the manifests' liveness probes keep passing, and the
// addons keep running.
func (s *suite) checkNoRestarts(t *testing.T, ready map[string]int32) {
	superAdmin := s.superAdminConf(t)
	for key, before := range ready {
		ns, name, _ := strings.Cut(key, "/")
		out, _, err := s.kubectl(superAdmin, nil, "get", "pod", "-n", ns, name, "-o", "jsonpath={.status.containerStatuses[0].restartCount}")
		if err != nil {
			t.Error(err)
			continue
		}
		if now := strings.TrimSpace(out); now != fmt.Sprint(before) {
			t.Errorf("%s restarted since it was Ready: %d -> %s restarts", key, before, now)
		}
	}
	t.Logf("%d system pods, no restart since Ready", len(ready))
}

// shortID returns a container ID with the runtime prefix and the first 12 digits.
func shortID(id string) string {
	if i := strings.Index(id, "://"); i >= 0 && len(id) > i+3+12 {
		return id[:i+3+12]
	}
	return id
}
