package compiler_test

import (
	"slices"
	"testing"

	"kubeforge.dev/kubeforge/compiler/compilertest"
)

// TestNoProxyAsDocumented checks NO_PROXY holds what the schema's proxy comment and the README
// promise: the user's entries, the cluster's networks, the control-plane hosts' addresses (a
// control-plane kubelet dials its own apiserver), the endpoint and the DNS domain; and not a
// worker's address, which nothing behind the proxy dials.
func TestNoProxyAsDocumented(t *testing.T) {
	c := compilertest.LoadYAML(t, `
apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: p
controlPlaneEndpoint: api.example.com:6443
networking: {podSubnets: [10.244.0.0/16]}
proxy: {https: "http://proxy:3128", noProxy: [.corp.example]}
hosts:
  - {name: cp1, addresses: [10.0.0.11, "fd00::11"], roles: [control-plane]}
  - {name: cp2, addresses: [10.0.0.12], roles: [control-plane]}
  - {name: w1, addresses: [10.0.0.21], roles: [worker]}
`)
	got := c.Proxy.NoProxy
	for _, want := range []string{".corp.example", "localhost", "127.0.0.1", "10.244.0.0/16", "10.96.0.0/12",
		"api.example.com", ".cluster.local", ".svc", "10.0.0.11", "fd00::11", "10.0.0.12"} {
		if !slices.Contains(got, want) {
			t.Errorf("NO_PROXY %v lacks %s", got, want)
		}
	}
	if slices.Contains(got, "10.0.0.21") {
		t.Errorf("NO_PROXY %v holds a worker's address", got)
	}
}
