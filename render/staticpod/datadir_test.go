package staticpod

import (
	"io/fs"
	"testing"

	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/artifact"
)

// TestEtcdDataDir checks that every etcd member's bundle lists its data directory as kubeadm
// creates it, 0700 and root's (CIS 1.1.11), so that the kubelet's DirectoryOrCreate finds it
// rather than creating it 0755; and that no other host gets one.
func TestEtcdDataDir(t *testing.T) {
	for _, tc := range []struct {
		example, dataDir string
		members          []string
	}{
		{"../../examples/ha.yaml", "/var/lib/etcd", []string{"cp1", "cp2", "cp3"}},
		{"../../examples/dedicated-etcd.yaml", "/var/lib/etcd", []string{"etcd1", "etcd2", "etcd3"}},
		{"../../examples/single-node.yaml", "/var/lib/etcd", []string{"lab1"}},
	} {
		c := compilertest.Load(t, tc.example)
		for _, h := range c.Hosts {
			b := artifact.Bundle{Name: h.Name, Artifacts: manifests(t, c, h)}
			a, ok := b.Lookup(tc.dataDir)
			member := c.RunsEtcd(h)
			if member != ok {
				t.Errorf("%s %s: etcd member %v, data directory listed %v", tc.example, h.Name, member, ok)
			}
			if ok && (a.Mode != fs.ModeDir|0o700 || a.UID != 0 || a.GID != 0) {
				t.Errorf("%s %s: %s mode %v owner %d:%d, want a directory 0700 owned by 0:0", tc.example, h.Name, a.Path, a.Mode, a.UID, a.GID)
			}
		}
		var got []string
		for _, h := range c.EtcdMembers() {
			got = append(got, h.Name)
		}
		if len(got) != len(tc.members) {
			t.Errorf("%s: etcd members %v, want %v", tc.example, got, tc.members)
		}
	}
	// A custom data directory is the one listed.
	c := compilertest.LoadYAML(t, `
apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: c
etcd: {dataDir: /data/etcd}
hosts:
  - {name: cp1, addresses: [10.0.0.1], roles: [control-plane]}
`)
	b := artifact.Bundle{Name: "cp1", Artifacts: manifests(t, c, compilertest.Host(t, c, "cp1"))}
	if a, ok := b.Lookup("/data/etcd"); !ok || a.Mode != fs.ModeDir|0o700 {
		t.Errorf("etcd.dataDir /data/etcd: listed %v, mode %v", ok, a.Mode)
	}
	if _, ok := b.Lookup("/var/lib/etcd"); ok {
		t.Error("the default data directory is listed although etcd.dataDir moved it")
	}
}
