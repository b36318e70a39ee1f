package compiler

import (
	"testing"

	"kubeforge.dev/kubeforge/compiler/description"
)

func TestFieldPath(t *testing.T) {
	h := &Host{Index: 2, Name: "w1", NodeName: "node-w1"}
	for _, tc := range []struct{ got, want string }{
		{FieldPath("networking", "podSubnets", 0), "networking.podSubnets[0]"},
		{FieldPath("apiServer", "extraArgs", Key("secure-port")), `apiServer.extraArgs["secure-port"]`},
		// A map key is quoted even when it could be written bare, as flags are named.
		{FieldPath("etcd", "extraArgs", Key("name")), `etcd.extraArgs["name"]`},
		{FieldPath("sysctls", Key("net.ipv4.ip_forward")), `sysctls["net.ipv4.ip_forward"]`},
		// Group names are written as CUE names them: bare when they can be.
		{FieldPath("groups", "gpu", "kubelet", "maxPods"), "groups.gpu.kubelet.maxPods"},
		{FieldPath("groups", "big-nodes", "labels"), `groups["big-nodes"].labels`},
		{h.Field(), "hosts[2]"},
		{h.Field("kubelet", "extraArgs", Key("v")), `hosts[2].kubelet.extraArgs["v"]`},
		{h.Field("addresses", 1), "hosts[2].addresses[1]"},
		{h.NodeNameField(), "hosts[2].nodeName"},
		{(&Host{Index: 0, Name: "a", NodeName: "a"}).NodeNameField(), "hosts[0].name"},
		{under([]any{"kubelet"}, "imageGC.lowThresholdPercent"), "kubelet.imageGC.lowThresholdPercent"},
		{under([]any{"hosts", 1, "kubelet"}, argField("node-labels")), `hosts[1].kubelet.extraArgs["node-labels"]`},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
		// Every path written reads back, and is written again the same way.
		p, ok := description.ParsePath(tc.got)
		if !ok || p.String() != tc.got {
			t.Errorf("%s reads back as %q (ok %v)", tc.got, p, ok)
		}
	}
}

func TestFieldPathRefusesOtherElements(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a float element was taken")
		}
	}()
	FieldPath("hosts", 1.5)
}

// TestOriginsAreFieldPaths: the layers record where each kubelet setting came from as schema
// paths, written as FieldPath writes them.
func TestOriginsAreFieldPaths(t *testing.T) {
	c, _, ds := LoadBytes("t.yaml", []byte(`apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
hostDefaults:
  kubelet: {featureGates: {ImageVolume: true}}
groups:
  big-nodes: {kubelet: {maxPods: 120, imageGC: {lowThresholdPercent: 70}}}
hosts:
  - {name: cp1, addresses: [192.168.0.11], roles: [control-plane]}
  - {name: w1, addresses: [192.168.0.21], roles: [worker], group: big-nodes, kubelet: {extraArgs: {v: "2"}}}
`))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	want := map[string]string{
		"featureGates":                "hostDefaults.kubelet.featureGates",
		"resolvConf":                  "kubelet.resolvConf",
		"maxPods":                     `groups["big-nodes"].kubelet.maxPods`,
		"imageGC.lowThresholdPercent": `groups["big-nodes"].kubelet.imageGC.lowThresholdPercent`,
		`extraArgs["v"]`:              `hosts[1].kubelet.extraArgs["v"]`,
	}
	w1 := c.Hosts[1]
	for field, origin := range want {
		if got := w1.Kubelet.Origin[field]; got != origin {
			t.Errorf("origin of %s: %q, want %q", field, got, origin)
		}
	}
	for _, h := range c.Hosts {
		for field, origin := range h.Kubelet.Origin {
			p, ok := description.ParsePath(origin)
			if !ok || !description.InSchema(p) || p.String() != origin {
				t.Errorf("%s: origin of %s is %q, not a schema path written canonically", h.Name, field, origin)
			}
		}
	}
}
