package install

import (
	"bufio"
	"bytes"
	"path"
	"regexp"
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

// moduleName is a kernel module name; emitters pass it to modprobe, which would read a leading
// '-' as an option.
var moduleName = regexp.MustCompile(`^[a-z0-9_][a-z0-9_-]*$`)

// Modules returns the kernel modules the plan's modules-load.d files name, in file order,
// each once. New has checked each is a module name.
func (p Plan) Modules() []string {
	var out []string
	for _, f := range p.Files {
		if !under(f.Path, modulesLoadDir) {
			continue
		}
		for _, m := range moduleLines(f.Data) {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

// moduleLines returns the names a modules-load.d file lists: one a line, '#' and ';' starting
// comments (modules-load.d(5)).
func moduleLines(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && line[0] != '#' && line[0] != ';' {
			out = append(out, line)
		}
	}
	return out
}

// under reports whether p lies strictly inside dir.
func under(p, dir string) bool { return strings.HasPrefix(p, dir+"/") }
