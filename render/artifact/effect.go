package artifact

import "strings"

// Effect is a set of what a node must do once a file changed, for the change to take effect.
// The renderer that writes a file knows what reads it and when, and says so; emitters (the
// Ansible handlers, cloud-init's runcmd, Ignition's units) act on it and never guess from a
// path.
type Effect uint8

// Effects, in the order they must run: kernel modules before the sysctls that need them (the
// net.bridge keys exist only once br_netfilter is loaded), unit files reloaded before a unit
// restarts, the container runtime restarted before the kubelet that talks to it.
const (
	// LoadModules: a modules-load.d file, which systemd reads at boot only; its modules are
	// loaded now.
	LoadModules Effect = 1 << iota
	// ApplySysctls: a sysctl.d file, applied by `sysctl --system`.
	ApplySysctls
	// ReloadSystemd: a unit file or drop-in, read by `systemctl daemon-reload`.
	ReloadSystemd
	// ReloadFirewalld: firewalld's permanent configuration, read by `firewall-cmd --reload`.
	ReloadFirewalld
	// RestartRuntime: a file the container runtime reads only when it starts (its
	// configuration, registries, unit drop-in); the artifact's Unit names the runtime's unit
	// (containerd.service), which restarts.
	RestartRuntime
	// RestartKubelet: a file the kubelet reads only when it starts.
	RestartKubelet
	// KubeletWatches: a static pod manifest; the kubelet watches its directory and picks the
	// change up itself, so nothing is to be run.
	KubeletWatches
)

// Has reports whether every effect of x is in e.
func (e Effect) Has(x Effect) bool { return e&x == x }

// effectNames name the effects in messages, in bit order.
var effectNames = []string{"LoadModules", "ApplySysctls", "ReloadSystemd", "ReloadFirewalld", "RestartRuntime", "RestartKubelet", "KubeletWatches"}

// String returns the effects' names joined by '|', or "none".
func (e Effect) String() string {
	var names []string
	for i, name := range effectNames {
		if e&(1<<i) != 0 {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, "|")
}

// Each returns the single effects of e, in running order.
func (e Effect) Each() []Effect {
	var out []Effect
	for x := LoadModules; x <= KubeletWatches; x <<= 1 {
		if e&x != 0 {
			out = append(out, x)
		}
	}
	return out
}

// Restarting returns a as a file the container runtime's unit reads only when it starts: once
// it changed, that unit restarts (RestartRuntime). For a drop-in of the unit, OfUnit names the
// same unit.
func (a Artifact) Restarting(unit string) Artifact {
	a.Unit = unit
	return a.Affecting(RestartRuntime)
}
