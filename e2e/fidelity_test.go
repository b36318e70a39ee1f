//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"

	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
)

// TestFidelity checks, on the bundles the suite compiles and boots, what kubeadm 1.37.1 writes
// where kubeforge once did otherwise (issue 13): control-plane kubelets dial their own
// apiserver, the directories kubeadm creates 0700 are 0700 on the node, super-admin.conf is on
// one host, every node names the manifests directory.
func TestFidelity(t *testing.T) {
	s := newSuite(t)
	t.Run("kubelet.conf server", s.checkKubeletServers)
	t.Run("restricted directories", s.checkRestrictedDirs)
	t.Run("one super-admin.conf", s.checkOneSuperAdmin)
	t.Run("staticPodPath on every node", s.checkStaticPodPath)
}

// checkKubeletServers: a control-plane host's kubelet.conf names https://ADDRESS:BINDPORT,
// every other node's the load-balanced endpoint.
func (s *suite) checkKubeletServers(t *testing.T) {
	for _, h := range s.cluster.Hosts {
		if s.cluster.EtcdOnly(h) {
			continue
		}
		want := s.cluster.Endpoint.URL()
		if h.Has(compiler.RoleControlPlane) {
			want = "https://" + net.JoinHostPort(h.AdvertiseAddress().String(), strconv.Itoa(s.cluster.APIServer.BindPort))
		}
		got, err := kubeconfigServer(s.host(t, h.Name).path(compiler.KubeletConfPath))
		if err != nil {
			t.Error(err)
			continue
		}
		if got != want {
			t.Errorf("%s: kubelet.conf server %s, want %s", h.Name, got, want)
		}
	}
}

// checkRestrictedDirs: /var/lib/kubelet, the manifests directory and an etcd member's data
// directory are 0700 in the host's tree, as the node gets them.
func (s *suite) checkRestrictedDirs(t *testing.T) {
	for _, h := range s.cluster.Hosts {
		dirs := []string{compiler.KubeletDir, compiler.ManifestsDir}
		if s.cluster.RunsEtcd(h) {
			dirs = append(dirs, s.cluster.Etcd.DataDir)
		}
		for _, d := range dirs {
			fi, err := os.Stat(s.host(t, h.Name).path(d))
			if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
				t.Errorf("%s: %s: %v (%v), want a directory 0700", h.Name, d, modeOf(fi), err)
			}
		}
	}
}

// checkOneSuperAdmin: only the first control-plane host holds super-admin.conf.
func (s *suite) checkOneSuperAdmin(t *testing.T) {
	first := s.cluster.HostsWith(compiler.RoleControlPlane)[0]
	for _, h := range s.cluster.Hosts {
		has := fileExists(s.host(t, h.Name).path(compiler.SuperAdminConfPath))
		if has != (h == first) {
			t.Errorf("%s: holds super-admin.conf: %v; only %s should", h.Name, has, first.Name)
		}
	}
}

// checkStaticPodPath: every node's config.yaml names the manifests directory, as kubeadm's.
func (s *suite) checkStaticPodPath(t *testing.T) {
	for _, h := range s.cluster.Hosts {
		data, err := os.ReadFile(s.host(t, h.Name).path(compiler.KubeletConfigPath))
		if err != nil {
			t.Fatal(err)
		}
		var cfg struct {
			StaticPodPath string `json:"staticPodPath"`
		}
		if err := yaml.Unmarshal(data, &cfg); err != nil {
			t.Fatalf("%s: %v", h.Name, err)
		}
		if cfg.StaticPodPath != compiler.ManifestsDir {
			t.Errorf("%s: staticPodPath %q, want %s", h.Name, cfg.StaticPodPath, compiler.ManifestsDir)
		}
	}
}

// host returns the simulated host named name.
func (s *suite) host(t *testing.T, name string) *simHost {
	t.Helper()
	for _, h := range s.hosts {
		if h.name == name {
			return h
		}
	}
	t.Fatalf("no simulated host %s", name)
	return nil
}

// kubeconfigServer returns the server of a kubeconfig file's first cluster.
func kubeconfigServer(p string) (string, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	var kc kubeconfig
	if err := yaml.Unmarshal(data, &kc); err != nil || len(kc.Clusters) == 0 {
		return "", fmt.Errorf("%s: not a kubeconfig with a cluster (%v)", p, err)
	}
	return kc.Clusters[0].Cluster.Server, nil
}

func modeOf(fi os.FileInfo) string {
	if fi == nil {
		return "missing"
	}
	return fi.Mode().String()
}
