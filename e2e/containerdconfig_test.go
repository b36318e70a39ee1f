//go:build e2e

package e2e

import (
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"kubeforge.dev/kubeforge/compiler"
)

// machineContainerdSettings are what a node's containerd needs here and a real node would not:
// its root, state and socket at the node paths, no snapshotters this machine lacks,
// restrict_oom_score_adj (this machine drops CAP_SYS_RESOURCE, and runc fails to lower a score
// without it) and Debian's CNI plugins. Everything else comes from the bundle.
func machineContainerdSettings(socket string) map[string]any {
	return map[string]any{
		"version": int64(2),
		"root":    "/var/lib/containerd",
		"state":   "/run/containerd",
		"disabled_plugins": []any{"io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
			"io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"},
		"grpc": map[string]any{"address": socket},
		"plugins": map[string]any{
			"io.containerd.internal.v1.opt": map[string]any{"path": "/var/lib/containerd/opt"},
			"io.containerd.grpc.v1.cri": map[string]any{
				"restrict_oom_score_adj": true,
				"cni":                    map[string]any{"bin_dir": cniBinDir, "conf_dir": "/etc/cni/net.d"},
			},
		},
	}
}

// containerdConfig returns the node's containerd configuration: the complete config.toml of
// its bundle (sandbox image, cgroup driver, registry hosts directory) with the machine's
// settings added. A key both set differently is an error: the suite must not override what
// the bundle decides.
func containerdConfig(bundleConfig []byte, socket string) ([]byte, error) {
	var cfg map[string]any
	if err := toml.Unmarshal(bundleConfig, &cfg); err != nil {
		return nil, fmt.Errorf("the bundle's %s: %w", compiler.ContainerdConfigPath, err)
	}
	if err := mergeSettings(cfg, machineContainerdSettings(socket), nil); err != nil {
		return nil, err
	}
	return toml.Marshal(cfg)
}

// mergeSettings adds add's keys to into, descending into tables both have.
func mergeSettings(into, add map[string]any, path []string) error {
	for _, k := range slices.Sorted(maps.Keys(add)) {
		v := add[k]
		cur, ok := into[k]
		if !ok {
			into[k] = v
			continue
		}
		p := append(slices.Clone(path), k)
		curTable, curOK := cur.(map[string]any)
		addTable, addOK := v.(map[string]any)
		if curOK && addOK {
			if err := mergeSettings(curTable, addTable, p); err != nil {
				return err
			}
			continue
		}
		if !reflect.DeepEqual(cur, v) {
			return fmt.Errorf("containerd setting %s: the bundle says %v, the suite needs %v", strings.Join(p, "."), cur, v)
		}
	}
	return nil
}

// bundleContainerdConfig returns n's compiled config.toml.
func (n *node) bundleContainerdConfig() ([]byte, error) {
	data, err := os.ReadFile(n.host.path(compiler.ContainerdConfigPath))
	if err != nil {
		return nil, fmt.Errorf("%s: the e2e cluster must own containerd's configuration (containerRuntime.containerd.config: complete): %w", n.host.name, err)
	}
	return data, nil
}
