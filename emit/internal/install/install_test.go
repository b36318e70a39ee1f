package install

import (
	"io/fs"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kubeforge.dev/kubeforge/emit/emittest"
	"kubeforge.dev/kubeforge/render/artifact"
)

func TestPlanDirs(t *testing.T) {
	b := artifact.Bundle{Name: "h"}
	b.Add(
		artifact.File("/var/lib/kubelet/config.yaml", 0o644, nil),
		artifact.Dir("/var/lib/kubelet", 0o700),
		artifact.File("/etc/a.b/c", 0o644, nil),
		artifact.File("/etc/a/b", 0o644, nil),
	)
	p, err := New(b)
	if err != nil {
		t.Fatal(err)
	}
	type dir struct {
		Path     string
		Mode     fs.FileMode
		Implicit bool
	}
	var got []dir
	for _, d := range p.Dirs {
		got = append(got, dir{d.Path, d.Mode, d.Implicit})
	}
	want := []dir{
		{"/etc", fs.ModeDir | 0o755, true},
		{"/etc/a", fs.ModeDir | 0o755, true},
		{"/etc/a.b", fs.ModeDir | 0o755, true},
		{"/var", fs.ModeDir | 0o755, true},
		{"/var/lib", fs.ModeDir | 0o755, true},
		{"/var/lib/kubelet", fs.ModeDir | 0o700, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dirs (-want +got):\n%s", diff)
	}
	var files []string
	for _, f := range p.Files {
		files = append(files, f.Path)
	}
	if diff := cmp.Diff([]string{"/etc/a.b/c", "/etc/a/b", "/var/lib/kubelet/config.yaml"}, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestPlanRejects(t *testing.T) {
	for name, arts := range map[string][]artifact.Artifact{
		"root":                {artifact.Dir("/", 0o755)},
		"relative":            {artifact.File("etc/x", 0o644, nil)},
		"trailing slash":      {artifact.File("/etc/x/", 0o644, nil)},
		"duplicate":           {artifact.Dir("/etc/x", 0o755), artifact.File("/etc/x", 0o644, nil)},
		"file as parent":      {artifact.File("/etc/x/y", 0o644, nil), artifact.File("/etc/x", 0o644, nil)},
		"device":              {{Path: "/dev/x", Mode: fs.ModeDevice | 0o600}},
		"directory data":      {{Path: "/etc/d", Mode: fs.ModeDir | 0o755, Data: []byte("x")}},
		"negative owner":      {{Path: "/etc/x", Mode: 0o644, UID: -1}},
		"newline in a path":   {artifact.File("/etc/x\n- path: /etc/shadow", 0o644, nil)},
		"carriage return":     {artifact.File("/etc/x\ry", 0o644, nil)},
		"NUL in a path":       {artifact.File("/etc/x\x00y", 0o644, nil)},
		"invalid UTF-8":       {artifact.File("/etc/x\xffy", 0o644, nil)},
		"YAML 1.1 line break": {artifact.File("/etc/x\u2028y", 0o644, nil)},
		"next line (NEL)":     {artifact.File("/etc/x\u0085y", 0o644, nil)},
		"bidi override":       {artifact.File("/etc/x\u202ey", 0o644, nil)},
		"module as option":    {modulesFile("/etc/modules-load.d/k.conf", "overlay\n-r\n")},
		"module with space":   {modulesFile("/etc/modules-load.d/k.conf", "overlay br_netfilter\n")},
		"module template":     {modulesFile("/etc/modules-load.d/k.conf", "{{ x }}\n")},
		// Units are named in systemctl commands and belong where systemd reads them.
		"unit name option":    {unitFile("/etc/systemd/system/--now.service", "--now.service")},
		"unit name space":     {unitFile("/etc/systemd/system/a b.service", "a b.service")},
		"unit name hidden":    {unitFile("/etc/systemd/system/.service", ".service")},
		"unit elsewhere":      {unitFile("/usr/lib/systemd/system/kubelet.service", "kubelet.service")},
		"unit other name":     {unitFile("/etc/systemd/system/kubelet.service", "containerd.service")},
		"drop-in not .conf":   {unitFile("/etc/systemd/system/kubelet.service.d/README", "kubelet.service")},
		"drop-in nested":      {unitFile("/etc/systemd/system/kubelet.service.d/x/a.conf", "kubelet.service")},
		"unit on a directory": {artifact.Dir("/etc/systemd/system/kubelet.service.d", 0o755).OfUnit("kubelet.service")},
		// A runtime restart names the runtime's unit; its own unit file is the package's.
		"restart without unit":  {artifact.File("/etc/containerd/config.toml", 0o644, nil).Affecting(artifact.RestartRuntime)},
		"restart a unit file":   {artifact.File("/etc/systemd/system/containerd.service", 0o644, nil).Restarting("containerd.service")},
		"restart a slice":       {artifact.File("/etc/containerd/config.toml", 0o644, nil).Restarting("kubepods.slice")},
		"restart as option":     {artifact.File("/etc/containerd/config.toml", 0o644, nil).Restarting("--now.service")},
		"restart other drop-in": {artifact.File("/etc/systemd/system/docker.service.d/a.conf", 0o644, nil).Restarting("crio.service")},
		"config names its unit": {artifact.File("/etc/containerd/config.toml", 0o644, nil).OfUnit("containerd.service")},
	} {
		if _, err := New(artifact.Bundle{Name: "h", Artifacts: arts}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// A bundle's name becomes file names and appears in comments and inventories.
func TestPlanRejectsHostNames(t *testing.T) {
	for _, name := range []string{"", ".", "..", "../etc", "a/b", "a\nb", "a b", "{{x}}", "-a", "a-", "c\u04401", "a:b"} {
		if _, err := New(artifact.Bundle{Name: name, Artifacts: []artifact.Artifact{artifact.File("/etc/x", 0o644, nil)}}); err == nil {
			t.Errorf("bundle %q: no error", name)
		}
	}
	for _, name := range []string{"cp1", "worker-one.example.com", "W_1", "cluster"} {
		if _, err := New(artifact.Bundle{Name: name}); err != nil {
			t.Errorf("bundle %q: %v", name, err)
		}
	}
}

func TestBits(t *testing.T) {
	for mode, want := range map[fs.FileMode]string{
		0o600:                              "0600",
		fs.ModeDir | 0o700:                 "0700",
		fs.ModeSetuid | 0o755:              "4755",
		fs.ModeSetgid | fs.ModeDir | 0o775: "2775",
		fs.ModeSticky | fs.ModeDir | 0o777: "1777",
	} {
		if got := Octal(mode); got != want {
			t.Errorf("%v: %s, want %s", mode, got, want)
		}
	}
}

func TestEffectsModulesUnits(t *testing.T) {
	p, err := New(emittest.Bundles()[0])
	if err != nil {
		t.Fatal(err)
	}
	want := artifact.LoadModules | artifact.ApplySysctls | artifact.ReloadSystemd | artifact.ReloadFirewalld | artifact.RestartRuntime |
		artifact.RestartKubelet | artifact.KubeletWatches
	if diff := cmp.Diff(want.Each(), p.Effects().Each()); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"overlay", "br_netfilter"}, p.Modules()); diff != "" {
		t.Errorf("modules (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"containerd.service"}, p.RuntimeUnits()); diff != "" {
		t.Errorf("runtime units (-want +got):\n%s", diff)
	}
	units := []Unit{{
		Name:    "kubelet.service",
		File:    "/etc/systemd/system/kubelet.service",
		DropIns: []string{"/etc/systemd/system/kubelet.service.d/10-kubeadm.conf"},
		Enable:  true,
	}}
	if diff := cmp.Diff(units, p.Units()); diff != "" {
		t.Errorf("units (-want +got):\n%s", diff)
	}
}

// A modules-load.d file is known by its effect, not its directory: one without LoadModules
// names no module to load.
func TestModulesFollowTheEffect(t *testing.T) {
	b := artifact.Bundle{Name: "h", Artifacts: []artifact.Artifact{
		modulesFile("/etc/modules-load.d/a.conf", "overlay\n"),
		artifact.File("/etc/modules-load.d/b.conf", 0o644, []byte("ip_vs\n")),
		modulesFile("/etc/kubeforge/modules", "br_netfilter\n"),
	}}
	p, err := New(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"br_netfilter", "overlay"}, p.Modules()); diff != "" {
		t.Errorf("modules (-want +got):\n%s", diff)
	}
}

func modulesFile(p, data string) artifact.Artifact {
	return artifact.File(p, 0o644, []byte(data)).Affecting(artifact.LoadModules)
}

func unitFile(p, unit string) artifact.Artifact {
	return artifact.File(p, 0o644, nil).OfUnit(unit)
}

func TestModulesSyntax(t *testing.T) {
	b := artifact.Bundle{Name: "h", Artifacts: []artifact.Artifact{
		modulesFile("/etc/modules-load.d/a.conf", "# comment\n; also a comment\n\n  overlay  \nbr_netfilter\n"),
		modulesFile("/etc/modules-load.d/b.conf", "overlay\nip_vs\n"),
	}}
	p, err := New(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"overlay", "br_netfilter", "ip_vs"}, p.Modules()); diff != "" {
		t.Errorf("modules (-want +got):\n%s", diff)
	}
}

// A file's unit comes from its artifact; only the installed unit types count as units.
func TestUnitNames(t *testing.T) {
	for _, tc := range []struct {
		a            artifact.Artifact
		file, dropIn bool
	}{
		{unitFile("/etc/systemd/system/kubelet.service", "kubelet.service"), true, false},
		{unitFile("/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", "kubelet.service"), false, true},
		{unitFile("/etc/systemd/system/kubelet-reserved.slice", "kubelet-reserved.slice"), false, false},
		{artifact.File("/etc/systemd/system/kubelet.service", 0o644, nil), false, false},
	} {
		if _, err := New(artifact.Bundle{Name: "h", Artifacts: []artifact.Artifact{tc.a}}); err != nil {
			t.Errorf("%s: %v", tc.a.Path, err)
		}
		name, file := UnitFile(tc.a)
		if file != tc.file || (file && name != tc.a.Unit) {
			t.Errorf("%s (unit %q): unit file %q %v, want %v", tc.a.Path, tc.a.Unit, name, file, tc.file)
		}
		name, dropIn := DropInUnit(tc.a)
		if dropIn != tc.dropIn || (dropIn && name != tc.a.Unit) {
			t.Errorf("%s (unit %q): drop-in of %q %v, want %v", tc.a.Path, tc.a.Unit, name, dropIn, tc.dropIn)
		}
	}
}

// A runtime's configuration names the unit it restarts without being that unit's file or
// drop-in; a drop-in that also restarts its unit is both.
func TestRuntimeUnits(t *testing.T) {
	b := artifact.Bundle{Name: "h", Artifacts: []artifact.Artifact{
		artifact.File("/etc/containerd/conf.d/99-kubeforge.toml", 0o644, nil).Restarting("containerd.service"),
		artifact.File("/etc/containerd/certs.d/docker.io/hosts.toml", 0o644, nil),
		artifact.File("/etc/crio/crio.conf.d/99-kubeforge.conf", 0o644, nil).Restarting("crio.service"),
		artifact.File("/etc/containers/registries.conf.d/99-kubeforge.conf", 0o644, nil).Restarting("crio.service"),
		artifact.File("/etc/systemd/system/cri-docker.service.d/10-kubeforge.conf", 0o644, nil).
			OfUnit("cri-docker.service").Restarting("cri-docker.service"),
	}}
	p, err := New(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"containerd.service", "cri-docker.service", "crio.service"}, p.RuntimeUnits()); diff != "" {
		t.Errorf("runtime units (-want +got):\n%s", diff)
	}
	units := []Unit{{Name: "cri-docker.service", DropIns: []string{"/etc/systemd/system/cri-docker.service.d/10-kubeforge.conf"}}}
	if diff := cmp.Diff(units, p.Units()); diff != "" {
		t.Errorf("units (-want +got):\n%s", diff)
	}
	for _, f := range p.Files {
		if name, ok := DropInUnit(f); ok && name != "cri-docker.service" {
			t.Errorf("%s taken for a drop-in of %s", f.Path, name)
		}
	}
}
