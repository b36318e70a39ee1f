package runtime

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// TestRuntimeFilesRestartTheRuntime checks, for every runtime and containerd's two ways of
// being configured, that each file the runtime reads only when it starts restarts the
// runtime's unit once changed (a drop-in after systemd reloaded units), and that containerd's
// hosts.toml files, read at every pull, need nothing.
func TestRuntimeFilesRestartTheRuntime(t *testing.T) {
	const mirrors = `, registryMirrors: {"docker.io": ["https://m.example.com"]}}` + "\n"
	type effect struct {
		Effects artifact.Effect
		Unit    string
	}
	restart := func(unit string) effect { return effect{artifact.RestartRuntime, unit} }
	for _, tc := range []struct {
		name, runtime string
		want          map[string]effect
	}{
		{"containerd drop-in", "containerRuntime: {kind: containerd" + mirrors, map[string]effect{
			compiler.ContainerdDropInPath:                         restart("containerd.service"),
			compiler.ContainerdCertsDir + "/docker.io/hosts.toml": {},
		}},
		{"containerd complete", "containerRuntime: {kind: containerd, containerd: {config: complete}" + mirrors, map[string]effect{
			compiler.ContainerdConfigPath:                         restart("containerd.service"),
			compiler.ContainerdCertsDir + "/docker.io/hosts.toml": {},
		}},
		{"cri-o", "containerRuntime: {kind: cri-o" + mirrors, map[string]effect{
			compiler.CRIODropInPath:       restart("crio.service"),
			compiler.RegistriesDropInPath: restart("crio.service"),
		}},
		{"cri-dockerd", "containerRuntime: {kind: cri-dockerd}\n", map[string]effect{
			compiler.CRIDockerdDropInPath: {artifact.ReloadSystemd | artifact.RestartRuntime, "cri-docker.service"},
		}},
	} {
		got := map[string]effect{}
		for p, a := range files(t, compile(t, tc.runtime)) {
			got[p] = effect{a.Effects, a.Unit}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: effects (-want +got):\n%s", tc.name, diff)
		}
	}
}
