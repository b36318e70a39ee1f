package install

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// unitSuffixes are the systemd unit types emitters install as units (Ignition's units, the
// ones enabled): a unit of another type (a slice) is written as an ordinary file.
var unitSuffixes = []string{".service", ".socket", ".timer", ".path", ".mount", ".target"}

// unitName is what an artifact's Unit may hold: systemd's unit name characters, not starting
// with '-' (systemctl would take it for an option), and a type suffix.
// Emitters pass it to systemctl and write it into YAML and JSON.
var unitName = regexp.MustCompile(`^[A-Za-z0-9:_.\\@][A-Za-z0-9:_.\\@-]*\.[a-z]+$`)

// Unit is a systemd unit of the bundle: its unit file, its drop-ins, or both.
type Unit struct {
	// Name is the unit's file name: kubelet.service.
	Name string
	// File is the unit file's path, empty when the bundle only adds drop-ins.
	File string
	// DropIns are the paths of its drop-in files, sorted.
	DropIns []string
	// Enable is true when the unit file has an [Install] section, so it can be enabled.
	Enable bool
}

// Units returns the systemd units of an installed type the plan's files define or extend
// (their artifact's Unit), sorted by name.
func (p Plan) Units() []Unit {
	byName := map[string]*Unit{}
	get := func(name string) *Unit {
		if byName[name] == nil {
			byName[name] = &Unit{Name: name}
		}
		return byName[name]
	}
	for _, f := range p.Files {
		if name, ok := UnitFile(f); ok {
			u := get(name)
			u.File = f.Path
			u.Enable = hasInstallSection(f.Data)
		} else if name, ok := DropInUnit(f); ok {
			u := get(name)
			u.DropIns = append(u.DropIns, f.Path)
		}
	}
	out := make([]Unit, 0, len(byName))
	for _, u := range byName {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(x, y Unit) int { return cmp.Compare(x.Name, y.Name) })
	return out
}

// UnitFile returns the name of the unit whose unit file a is, and true, for a unit of an
// installed type.
func UnitFile(a artifact.Artifact) (string, bool) {
	return a.Unit, installedType(a.Unit) && a.Path == unitFilePath(a.Unit)
}

// DropInUnit returns the name of the unit a extends as a drop-in
// (/etc/systemd/system/kubelet.service.d/10-kubeadm.conf → kubelet.service), and true, for a
// unit of an installed type.
func DropInUnit(a artifact.Artifact) (string, bool) {
	return a.Unit, installedType(a.Unit) && isDropIn(a)
}

// isDropIn reports whether a is a *.conf file of its unit's drop-in directory.
func isDropIn(a artifact.Artifact) bool {
	return path.Dir(a.Path) == unitFilePath(a.Unit)+".d" && strings.HasSuffix(a.Path, ".conf")
}

// RuntimeUnits returns the units the plan's files restart once changed (artifact.RestartRuntime:
// the container runtime's), sorted, each once.
func (p Plan) RuntimeUnits() []string {
	var out []string
	for _, f := range p.Files {
		if f.Effects.Has(artifact.RestartRuntime) && !slices.Contains(out, f.Unit) {
			out = append(out, f.Unit)
		}
	}
	slices.Sort(out)
	return out
}

func unitFilePath(unit string) string { return path.Join(compiler.SystemdUnitDir, unit) }

func installedType(unit string) bool {
	for _, s := range unitSuffixes {
		if len(unit) > len(s) && strings.HasSuffix(unit, s) {
			return true
		}
	}
	return false
}

// checkUnit returns an error unless a file naming a unit is that unit's file or a drop-in of
// it, where systemd reads them, or a file the unit reads at start and restarts for
// (artifact.RestartRuntime): a renderer's mistake would otherwise enable, reload or restart a
// unit the file does not belong to.
func checkUnit(a artifact.Artifact) error {
	restarts := a.Effects.Has(artifact.RestartRuntime)
	if a.Unit == "" {
		if restarts {
			return fmt.Errorf("%s: restarts the container runtime but names no unit", a.Path)
		}
		return nil
	}
	if !unitName.MatchString(a.Unit) {
		return fmt.Errorf("%s: %q is not a systemd unit name", a.Path, a.Unit)
	}
	if a.IsDir() {
		return fmt.Errorf("%s: a directory belongs to no unit", a.Path)
	}
	switch {
	case restarts && strings.HasPrefix(a.Path, compiler.SystemdUnitDir+"/") && !isDropIn(a):
		// A runtime's own unit file is the package's; only its drop-ins are kubeforge's.
		return fmt.Errorf("%s: restarts %s from systemd's directory but is no drop-in %s.d/*.conf", a.Path, a.Unit, unitFilePath(a.Unit))
	case restarts && !installedType(a.Unit):
		return fmt.Errorf("%s: restarts %s, which is not a unit that runs", a.Path, a.Unit)
	case !restarts && a.Path != unitFilePath(a.Unit) && !isDropIn(a):
		return fmt.Errorf("%s: neither the unit file of %s nor a drop-in %s.d/*.conf", a.Path, a.Unit, unitFilePath(a.Unit))
	}
	return nil
}

func hasInstallSection(unit []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(unit))
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "[Install]" {
			return true
		}
	}
	return false
}
