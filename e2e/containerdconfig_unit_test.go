//go:build e2e

package e2e

import (
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// TestContainerdConfigKeepsTheBundles checks that the suite adds its machine settings to the
// bundle's config.toml without changing what the bundle set, and refuses to override it.
func TestContainerdConfigKeepsTheBundles(t *testing.T) {
	bundle := []byte(`version = 2
[plugins."io.containerd.grpc.v1.cri"]
sandbox_image = "registry.k8s.io/pause:3.10.2"
[plugins."io.containerd.grpc.v1.cri".registry]
config_path = "/etc/containerd/certs.d"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
SystemdCgroup = false
`)
	out, err := containerdConfig(bundle, "/run/kfe/containerd.sock")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Version int
		GRPC    struct{ Address string } `toml:"grpc"`
		Plugins struct {
			CRI struct {
				SandboxImage        string `toml:"sandbox_image"`
				RestrictOOMScoreAdj bool   `toml:"restrict_oom_score_adj"`
				Registry            struct {
					ConfigPath string `toml:"config_path"`
				} `toml:"registry"`
				Containerd struct {
					Runtimes struct {
						Runc struct {
							Options struct{ SystemdCgroup *bool } `toml:"options"`
						} `toml:"runc"`
					} `toml:"runtimes"`
				} `toml:"containerd"`
			} `toml:"io.containerd.grpc.v1.cri"`
		} `toml:"plugins"`
	}
	if err := toml.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	cri := got.Plugins.CRI
	if got.Version != 2 || got.GRPC.Address != "/run/kfe/containerd.sock" || cri.SandboxImage != "registry.k8s.io/pause:3.10.2" ||
		!cri.RestrictOOMScoreAdj || cri.Registry.ConfigPath != "/etc/containerd/certs.d" ||
		cri.Containerd.Runtimes.Runc.Options.SystemdCgroup == nil || *cri.Containerd.Runtimes.Runc.Options.SystemdCgroup {
		t.Errorf("merged configuration:\n%s", out)
	}
	// A bundle for containerd 2.x (version 3) is not what Debian's 1.6 reads: refused.
	if _, err := containerdConfig([]byte("version = 3\n"), "/s"); err == nil || !strings.Contains(err.Error(), "version") {
		t.Errorf("a version 3 bundle: %v", err)
	}
}
