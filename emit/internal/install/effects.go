package install

import (
	"bufio"
	"bytes"
	"path"
	"slices"
	"strings"

	"kubeforge.dev/kubeforge/compiler"
)

// Effect is what the node must do after a file changed, so the change takes effect.
type Effect int

// Effects in the order they must run: kernel modules before the sysctls that need them (the
// net.bridge keys exist only once br_netfilter is loaded), unit files reloaded before the
// kubelet restarts.
const (
	LoadModules Effect = iota
	ApplySysctls
	ReloadSystemd
	ReloadFirewalld
	RestartKubelet
)

// KubeletUnit is the kubelet's systemd unit, which RestartKubelet restarts.
var KubeletUnit = path.Base(compiler.KubeletUnitPath)

var (
	modulesLoadDir = path.Dir(compiler.ModulesLoadPath)
	sysctlDir      = path.Dir(compiler.SysctlPath)
	systemdDir     = path.Dir(compiler.KubeletUnitPath)
)

// kubeletInputs are the files the kubelet reads only when it starts.
var kubeletInputs = []string{compiler.KubeletUnitPath, compiler.KubeletConfPath, compiler.CACertPath}

// EffectsOf returns what a change to the file at p requires, in running order. Static pod
// manifests need nothing: the kubelet watches its manifest directory.
func EffectsOf(p string) []Effect {
	var out []Effect
	switch {
	case under(p, modulesLoadDir):
		out = append(out, LoadModules)
	case under(p, sysctlDir):
		out = append(out, ApplySysctls)
	case under(p, systemdDir):
		out = append(out, ReloadSystemd)
	case under(p, compiler.FirewalldDir):
		out = append(out, ReloadFirewalld)
	}
	if slices.Contains(kubeletInputs, p) || under(p, compiler.KubeletDropInDir) || under(p, compiler.KubeletDir) {
		out = append(out, RestartKubelet)
	}
	return out
}

// Effects returns the union of the files' effects, in running order.
func (p Plan) Effects() []Effect {
	var out []Effect
	for _, f := range p.Files {
		for _, e := range EffectsOf(f.Path) {
			if !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Modules returns the kernel modules the plan's modules-load.d files name, in file order,
// each once.
func (p Plan) Modules() []string {
	var out []string
	for _, f := range p.Files {
		if !under(f.Path, modulesLoadDir) {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(f.Data))
		for sc.Scan() {
			// modules-load.d(5): one name a line; '#' and ';' start comments.
			line := strings.TrimSpace(sc.Text())
			if line == "" || line[0] == '#' || line[0] == ';' || slices.Contains(out, line) {
				continue
			}
			out = append(out, line)
		}
	}
	return out
}

// under reports whether p lies strictly inside dir.
func under(p, dir string) bool { return strings.HasPrefix(p, dir+"/") }
