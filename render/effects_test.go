package render

import (
	"path"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/pki"
)

// slicesCluster reserves cgroups in a slice of its own, so the kubelet renderer writes slice
// units besides kubelet.service's drop-ins, and runs cri-dockerd behind a proxy, whose unit
// drop-ins extend cri-docker.service and docker.service.
const slicesCluster = `
apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
containerRuntime: {kind: cri-dockerd, cgroupDriver: systemd}
proxy: {https: "http://proxy.example.com:3128"}
kubelet:
  kubeReserved: {cpu: 500m, memory: 1Gi}
  kubeReservedCgroup: /kube-reserved.slice
  enforceNodeAllocatable: [pods, kube-reserved]
hosts:
  - {name: n1, addresses: [10.0.0.1], roles: [control-plane, worker]}
`

// TestEveryFileDeclaresItsEffect renders every example (dedicated-etcd has a proxy, so the
// runtime's drop-ins too) and a cluster with slice units, and checks each host file carries the
// effect and unit of what reads it on the node, as kubeadm's layout places them: the emitters
// act on these fields alone, so a renderer that forgot one would leave a change without
// effect.
func TestEveryFileDeclaresItsEffect(t *testing.T) {
	clusters := map[string]*compiler.Cluster{"slices": compilertest.LoadYAML(t, slicesCluster)}
	for _, ex := range compilertest.Examples {
		clusters[ex] = compilertest.Load(t, ex)
	}
	seen := artifact.Effect(0)
	for name, c := range clusters {
		res, err := Compile(c, Options{PKI: &pki.Options{}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, b := range res.Hosts {
			for _, a := range b.Artifacts {
				if a.IsDir() {
					if a.Effects != 0 || a.Unit != "" {
						t.Errorf("%s %s: directory %s has effects %v, unit %q", name, b.Name, a.Path, a.Effects, a.Unit)
					}
					continue
				}
				seen |= a.Effects
				wantEffects, wantUnit := expectedEffect(a.Path)
				if a.Effects != wantEffects || a.Unit != wantUnit {
					t.Errorf("%s %s: %s has effects %v, unit %q; want %v, %q",
						name, b.Name, a.Path, a.Effects, a.Unit, wantEffects, wantUnit)
				}
			}
		}
	}
	all := artifact.LoadModules | artifact.ApplySysctls | artifact.ReloadSystemd | artifact.ReloadFirewalld |
		artifact.RestartRuntime | artifact.RestartKubelet | artifact.KubeletWatches
	if seen != all {
		t.Errorf("effects seen %v, want every one %v", seen, all)
	}
}

// expectedEffect is what a file at p needs, from where kubeadm's layout puts what each
// program reads (the rule the emitters used to apply to paths).
func expectedEffect(p string) (artifact.Effect, string) {
	under := func(dir string) bool { return strings.HasPrefix(p, dir+"/") }
	var e artifact.Effect
	unit := ""
	switch {
	case path.Dir(p) == path.Dir(compiler.ModulesLoadPath):
		e = artifact.LoadModules
	case path.Dir(p) == path.Dir(compiler.SysctlPath):
		e = artifact.ApplySysctls
	case under(compiler.FirewalldDir):
		e = artifact.ReloadFirewalld
	case path.Dir(p) == compiler.ManifestsDir:
		e = artifact.KubeletWatches
	case path.Dir(p) == compiler.SystemdUnitDir:
		e, unit = artifact.ReloadSystemd, path.Base(p)
	case path.Dir(path.Dir(p)) == compiler.SystemdUnitDir:
		e, unit = artifact.ReloadSystemd, strings.TrimSuffix(path.Base(path.Dir(p)), ".d")
	}
	// The runtime's start-time files restart its unit; containerd's hosts.toml, read at every
	// pull, needs nothing.
	runtimeUnits := map[string]string{
		compiler.ContainerdConfigPath: "containerd.service", compiler.ContainerdDropInPath: "containerd.service",
		compiler.CRIODropInPath: "crio.service", compiler.RegistriesDropInPath: "crio.service",
		compiler.CRIDockerdDropInPath: "cri-docker.service",
	}
	if u, ok := runtimeUnits[p]; ok {
		e, unit = e|artifact.RestartRuntime, u
	}
	kubeletReads := []string{compiler.KubeletUnitPath, compiler.KubeletConfPath, compiler.CACertPath, compiler.CredentialProviderConfigPath}
	if slices.Contains(kubeletReads, p) || under(compiler.KubeletDropInDir) || under(compiler.KubeletDir) {
		e |= artifact.RestartKubelet
	}
	return e, unit
}
