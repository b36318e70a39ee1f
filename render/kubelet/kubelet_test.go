package kubelet

import (
	"bytes"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/artifact"
)

func TestArtifactsPerRole(t *testing.T) {
	c := loadExample(t, "dedicated-etcd")
	common := []string{
		"/etc/systemd/system/crio.service.d/http-proxy.conf",
		"/etc/systemd/system/kubelet.service",
		"/etc/systemd/system/kubelet.service.d/11-accounting.conf",
		"/etc/systemd/system/kubelet.service.d/http-proxy.conf",
		"/var/lib/kubelet/config.yaml",
	}
	node := append(slices.Clone(common),
		"/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
		"/var/lib/kubelet/instance-config.yaml",
		"/var/lib/kubelet/kubeadm-flags.env",
	)
	etcd := append(slices.Clone(common), "/etc/systemd/system/kubelet.service.d/20-etcd-service-manager.conf")
	slices.Sort(node)
	slices.Sort(etcd)
	for _, h := range c.Hosts {
		want := node
		if strings.HasPrefix(h.Name, "etcd") {
			want = etcd
		}
		var got, dirs []string
		for _, a := range render(t, c, h).Artifacts {
			if a.IsDir() {
				dirs = append(dirs, a.Path)
				// kubeadm creates both 0700: keys, manifests and the pods' volumes are inside.
				if a.Mode != fs.ModeDir|0o700 || a.UID != 0 || a.GID != 0 {
					t.Errorf("%s: %s mode %v owner %d:%d, want a directory 0700 owned by 0:0", h.Name, a.Path, a.Mode, a.UID, a.GID)
				}
				continue
			}
			got = append(got, a.Path)
			// The unit, its drop-ins and config.yaml are root's alone (CIS 4.1.1, 4.1.9).
			wantMode := fs.FileMode(0o644)
			if a.Unit == kubeletUnit || a.Path == compiler.KubeletConfigPath {
				wantMode = 0o600
			}
			if a.Mode != wantMode || a.Secret || a.UID != 0 || a.GID != 0 {
				t.Errorf("%s: %s mode %o secret %v owner %d:%d", h.Name, a.Path, a.Mode, a.Secret, a.UID, a.GID)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: artifacts\n%v\nwant (sorted)\n%v", h.Name, got, want)
		}
		// staticPodPath's directory exists on every host, workers included.
		if wantDirs := []string{compiler.ManifestsDir, compiler.KubeletDir}; !slices.Equal(dirs, wantDirs) {
			t.Errorf("%s: directories %v, want %v", h.Name, dirs, wantDirs)
		}
	}
}

func TestEtcdServiceManager(t *testing.T) {
	c := loadExample(t, "dedicated-etcd")
	b := render(t, c, compilertest.Host(t, c, "etcd1"))
	want := "[Service]\nExecStart=\nExecStart=/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml\nRestart=always\n"
	got := string(lookup(t, b, compiler.KubeletDropInDir+"/20-etcd-service-manager.conf").Data)
	if !strings.HasSuffix(got, want) {
		t.Errorf("20-etcd-service-manager.conf:\n%s\nwant it to end with\n%s", got, want)
	}
	// Standalone: nothing may point the kubelet at a kubeconfig.
	for _, a := range b.Artifacts {
		if bytes.Contains(a.Data, []byte("kubeconfig")) || bytes.Contains(a.Data, []byte("kubelet.conf\n")) {
			t.Errorf("%s mentions a kubeconfig on an etcd-only host", a.Path)
		}
	}
	// Hosts that join the cluster use kubeadm's drop-in, without a bootstrap kubeconfig.
	node := string(lookup(t, render(t, c, compilertest.Host(t, c, "cp1")), compiler.KubeletDropInDir+"/10-kubeadm.conf").Data)
	if strings.Contains(node, "bootstrap") || !strings.Contains(node, "--kubeconfig=/etc/kubernetes/kubelet.conf") ||
		!strings.Contains(node, "EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env") {
		t.Errorf("10-kubeadm.conf:\n%s", node)
	}
}

func TestEtcdServiceManagerExtraArgs(t *testing.T) {
	c := compilertest.LoadYAML(t, `
apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
etcd: {topology: dedicated}
hosts:
  - {name: cp1, addresses: [10.0.0.1], roles: [control-plane]}
  - {name: e1, addresses: [10.0.0.2], roles: [etcd], kubelet: {extraArgs: {v: "4", log-file: "/var/log/kubelet-$HOST-100%.log"}}}
`)
	b := render(t, c, compilertest.Host(t, c, "e1"))
	got := string(lookup(t, b, compiler.KubeletDropInDir+"/20-etcd-service-manager.conf").Data)
	// '$' and '%' doubled: systemd would substitute a variable and a specifier.
	want := `ExecStart=/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml --log-file=/var/log/kubelet-$$HOST-100%%.log --v=4` + "\n"
	if !strings.Contains(got, want) {
		t.Errorf("drop-in:\n%s\nwant line\n%s", got, want)
	}
	requireVerified(t, "e1", b.Artifacts)
}

func TestDeterministic(t *testing.T) {
	for _, name := range []string{"ha", "dedicated-etcd", "dual-stack"} {
		c1, c2 := loadExample(t, name), loadExample(t, name)
		for i, h := range c1.Hosts {
			a, b := render(t, c1, h).Artifacts, render(t, c2, c2.Hosts[i]).Artifacts
			if len(a) != len(b) {
				t.Fatalf("%s/%s: %d then %d artifacts", name, h.Name, len(a), len(b))
			}
			for j := range a {
				if a[j].Path != b[j].Path || !bytes.Equal(a[j].Data, b[j].Data) || !slices.Equal(a[j].Sources, b[j].Sources) {
					t.Errorf("%s/%s: %s differs between renders", name, h.Name, a[j].Path)
				}
			}
			if !slices.IsSortedFunc(a, func(x, y artifact.Artifact) int { return strings.Compare(x.Path, y.Path) }) {
				t.Errorf("%s/%s: artifacts not sorted by path", name, h.Name)
			}
		}
	}
}

// TestConfigAPIOfTheHostsRow: the kubelet's configuration follows the host's row of the
// version table; a row naming an API version the renderer does not build is refused.
func TestConfigAPIOfTheHostsRow(t *testing.T) {
	c := compilertest.Load(t, "dual-stack.yaml")
	h := c.Hosts[0]
	h.Release.APIs.Kubelet = "kubelet.config.k8s.io/v2"
	if _, err := Artifacts(c, h); err == nil || !strings.Contains(err.Error(), "kubelet.config.k8s.io/v2") {
		t.Errorf("a host whose row names another kubelet API rendered: %v", err)
	}
}
