package install

import (
	"bufio"
	"bytes"
	"cmp"
	"path"
	"slices"
	"strings"
)

// unitSuffixes are the systemd unit types a bundle may install and enable.
var unitSuffixes = []string{".service", ".socket", ".timer", ".path", ".mount", ".target"}

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

// Units returns the systemd units the plan installs or extends, sorted by name.
func (p Plan) Units() []Unit {
	byName := map[string]*Unit{}
	get := func(name string) *Unit {
		if byName[name] == nil {
			byName[name] = &Unit{Name: name}
		}
		return byName[name]
	}
	for _, f := range p.Files {
		if name, ok := UnitFile(f.Path); ok {
			u := get(name)
			u.File = f.Path
			u.Enable = hasInstallSection(f.Data)
		} else if name, ok := DropInUnit(f.Path); ok {
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

// UnitFile returns the unit's name and true when p is a unit file in /etc/systemd/system.
func UnitFile(p string) (string, bool) {
	name := path.Base(p)
	return name, path.Dir(p) == systemdDir && isUnitName(name)
}

// DropInUnit returns the name of the unit a drop-in at p extends
// (/etc/systemd/system/kubelet.service.d/10-kubeadm.conf → kubelet.service) and true.
func DropInUnit(p string) (string, bool) {
	dir := path.Dir(p)
	unit, isDropInDir := strings.CutSuffix(path.Base(dir), ".d")
	ok := path.Dir(dir) == systemdDir && isDropInDir && strings.HasSuffix(p, ".conf") && isUnitName(unit)
	return unit, ok
}

func isUnitName(name string) bool {
	for _, s := range unitSuffixes {
		if len(name) > len(s) && strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
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
