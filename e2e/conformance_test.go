//go:build e2e && conformance

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConformance boots the compiled cluster as TestWorkloads does (kubelets, containerd, the
// pod network, the cluster bundle's kube-proxy and CoreDNS) and runs the Kubernetes
// conformance specs of the cluster's release against it with the real e2e.test and kubectl:
// every selected spec must pass, except those the skip list names, each with its reason.
//
//	make conformance                                  # the widest selection
//	make conformance CONFORMANCE=network-pods         # [sig-network] DNS, Services, [sig-node] Pods
func TestConformance(t *testing.T) {
	began := time.Now()
	t.Cleanup(func() { t.Logf("total time, setup to cleanup: %s", time.Since(began).Round(time.Second)) })
	sel := chosenSelection(t)
	s := newSuite(t)
	kit := s.conformanceKit(t)
	skips := readSkipList(t, skipListFile)
	plan := s.planConformance(t, kit, sel, skips)
	t.Logf("setup (network, CLI build, compile, conformance binaries, dry run) took %s", time.Since(began).Round(time.Second))

	c := s.bootCluster(t, began, kit.images)
	result := s.runConformance(t, kit, plan)
	report := result.summary(plan)
	t.Log(report)
	if err := os.WriteFile(filepath.Join(s.logs, "conformance-summary.txt"), []byte(report+"\n"), 0o644); err != nil {
		t.Error(err)
	}
	for _, f := range result.failed {
		t.Errorf("FAILED %s\n%s", f.name, tail(strings.TrimSpace(f.message), 30))
	}
	for _, name := range result.notRun(plan) {
		t.Errorf("selected but not run (neither passed, failed nor skipped by the list): %s", name)
	}
	s.logRestarts(t, c.ready)
	s.reportResources(t, c.nodes)
	t.Logf("conformance done after %s", time.Since(began).Round(time.Second))
}
