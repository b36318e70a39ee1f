package cloudinit

import (
	"fmt"

	"kubeforge.dev/kubeforge/emit/internal/install"
	"kubeforge.dev/kubeforge/render/artifact"
)

// firewalldReload reloads the permanent configuration only where firewalld runs: an image
// without it, or with it stopped, has nothing to reload and the step must not fail.
const firewalldReload = "if systemctl is-active --quiet firewalld; then firewall-cmd --reload; fi"

// runCmd returns the commands that make the written files take effect, in order: owners
// cloud-init cannot set, kernel modules, sysctls, unit files, firewall, the container runtime,
// then the units to run (the kubelet, after the runtime it talks to).
func runCmd(p install.Plan) []command {
	var out []command
	for _, f := range p.Files {
		if f.UID != 0 || f.GID != 0 {
			out = append(out, command{"chown", fmt.Sprintf("%d:%d", f.UID, f.GID), f.Path})
		}
	}
	for _, e := range p.Effects().Each() {
		switch e {
		case artifact.LoadModules:
			// modules-load.d is read at boot, before cloud-init wrote the file.
			for _, m := range p.Modules() {
				out = append(out, command{"modprobe", m})
			}
		case artifact.ApplySysctls:
			out = append(out, command{"sysctl", "--system"})
		case artifact.ReloadSystemd:
			out = append(out, command{"systemctl", "daemon-reload"})
		case artifact.ReloadFirewalld:
			out = append(out, command{"sh", "-c", firewalldReload})
		case artifact.RestartRuntime:
			// A runtime the image or a package started before write_files restarts with its
			// files; one not running yet reads them when it first starts (try-restart leaves
			// it, and does not fail where the runtime is installed later).
			for _, u := range p.RuntimeUnits() {
				out = append(out, command{"systemctl", "try-restart", u})
			}
		}
	}
	for _, u := range p.Units() {
		if u.Enable {
			// restart rather than start: a unit a package started before its files were
			// written must pick them up.
			out = append(out, command{"systemctl", "enable", u.Name}, command{"systemctl", "restart", u.Name})
		}
	}
	return out
}
