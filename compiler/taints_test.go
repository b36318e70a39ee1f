package compiler

import (
	"testing"
)

func TestControlPlaneTaintDefaults(t *testing.T) {
	const desc = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
controlPlaneEndpoint: lb.example.com
hosts:
  - {name: cp1, addresses: [10.0.0.1], roles: [control-plane]}
  - {name: cp2, addresses: [10.0.0.2], roles: [control-plane], taints: []}
  - {name: cp3, addresses: [10.0.0.3], roles: [control-plane, worker]}
  - {name: w1, addresses: [10.0.0.4], roles: [worker], taints: [{key: dedicated, value: gpu, effect: NoSchedule}]}
  - {name: w2, addresses: [10.0.0.5], roles: [worker]}
`
	c, _, ds := LoadBytes("t.yaml", []byte(desc))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	want := map[string][]Taint{
		"cp1": {{Key: "node-role.kubernetes.io/control-plane", Effect: "NoSchedule"}},
		"cp2": nil, // explicitly none
		"cp3": nil, // control plane that also runs workloads
		"w1":  {{Key: "dedicated", Value: "gpu", Effect: "NoSchedule"}},
		"w2":  nil,
	}
	for _, h := range c.Hosts {
		got := h.Taints
		if len(got) != len(want[h.Name]) {
			t.Errorf("%s: taints %v, want %v", h.Name, got, want[h.Name])
			continue
		}
		for i := range got {
			if got[i] != want[h.Name][i] {
				t.Errorf("%s: taints %v, want %v", h.Name, got, want[h.Name])
			}
		}
	}
}
