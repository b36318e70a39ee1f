package install

import (
	"bufio"
	"bytes"
	"path"
	"regexp"
	"strings"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// Effects returns the union of the files' effects (artifact.Effect, set by the renderers).
func (p Plan) Effects() artifact.Effect {
	var out artifact.Effect
	for _, f := range p.Files {
		out |= f.Effects
	}
	return out
}

// moduleName is a kernel module name; emitters pass it to modprobe, which would read a leading
// '-' as an option.
var moduleName = regexp.MustCompile(`^[a-z0-9_][a-z0-9_-]*$`)

// Modules returns the kernel modules the plan's modules-load.d files (those whose effect is
// artifact.LoadModules) name, in file order, each once. New has checked each is a module name.
func (p Plan) Modules() []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range p.Files {
		if !f.Effects.Has(artifact.LoadModules) {
			continue
		}
		for _, m := range moduleLines(f.Data) {
			if !seen[m] {
				seen[m] = true
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

// KubeletUnit is the kubelet's systemd unit, which artifact.RestartKubelet restarts.
var KubeletUnit = path.Base(compiler.KubeletUnitPath)
