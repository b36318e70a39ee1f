package ansible

import (
	"cmp"
	"slices"
	"strings"

	"kubeforge.dev/kubeforge/emit/internal/install"
	"kubeforge.dev/kubeforge/render/artifact"
)

// handler runs once at the end of the play when files of its effect changed.
type handler struct {
	effect artifact.Effect
	name   string
	short  string // names the effect in category keys
	words  string // names the effect in task names
	task   task
}

// activated is the condition of every step that acts on the running system.
const activated = "kubeforge_apply | bool"

// handlers in the effects' order, which is the order Ansible runs notified handlers in (the
// order they are defined).
var handlers = []handler{
	{effect: artifact.LoadModules, name: "Load kernel modules", short: "modules", words: "kernel module",
		// modules-load.d is read at boot only.
		task: task{Command: &commandArgs{Argv: []string{"modprobe", "{{ item }}"}}, Loop: "{{ kubeforge_modules }}", ChangedWhen: true}},
	{effect: artifact.ApplySysctls, name: "Apply sysctls", short: "sysctl", words: "sysctl",
		task: task{Command: &commandArgs{Argv: []string{"sysctl", "--system"}}, ChangedWhen: true}},
	{effect: artifact.ReloadSystemd, name: "Reload systemd units", short: "systemd", words: "systemd unit",
		task: task{Systemd: &systemdArgs{DaemonReload: true}}},
	{effect: artifact.ReloadFirewalld, name: "Reload firewalld", short: "firewalld", words: "firewalld",
		// Only a running firewalld has anything to reload; a stopped one reads the files when
		// it starts.
		task: task{Shell: &commandArgs{Cmd: "if systemctl is-active --quiet firewalld; then firewall-cmd --reload; fi"}, ChangedWhen: true}},
	// The runtime's units of the host (kubeforge_runtime_units), after systemd reloaded their
	// drop-ins and before the kubelet, which talks to the runtime, restarts.
	{effect: artifact.RestartRuntime, name: "Restart container runtime", short: "runtime", words: "container runtime",
		task: task{Systemd: &systemdArgs{Name: "{{ item }}", State: "restarted"}, Loop: "{{ kubeforge_runtime_units }}"}},
	{effect: artifact.RestartKubelet, name: "Restart kubelet", short: "kubelet", words: "kubelet",
		task: task{Systemd: &systemdArgs{Name: install.KubeletUnit, State: "restarted"}}},
}

// category groups the files one task installs: the same handlers, the same secrecy.
type category struct {
	// effects are the file's effects that have a handler (a static pod's needs none).
	effects artifact.Effect
	secret  bool
}

func categoryOf(f artifact.Artifact) category {
	var handled artifact.Effect
	for _, h := range handlers {
		handled |= h.effect
	}
	return category{effects: f.Effects & handled, secret: f.Secret}
}

// key names the category's list in kubeforge_files: systemd_kubelet, plain_secret.
func (c category) key() string {
	var names []string
	for _, h := range handlers {
		if c.effects.Has(h.effect) {
			names = append(names, h.short)
		}
	}
	k := cmp.Or(strings.Join(names, "_"), "plain")
	if c.secret {
		k += "_secret"
	}
	return k
}

// task returns the task installing the category's files on each host, notifying the
// category's handlers.
func (c category) task() task {
	var words, notify []string
	for _, h := range handlers {
		if c.effects.Has(h.effect) {
			words = append(words, h.words)
			notify = append(notify, h.name)
		}
	}
	name := []string{"Install"}
	if c.secret {
		name = append(name, "secret")
	}
	if len(words) > 0 {
		name = append(name, strings.Join(words, " and "))
	}
	return task{
		Name: strings.Join(append(name, "files"), " "),
		Copy: &copyArgs{
			Src:   "{{ item.src }}",
			Dest:  "{{ [kubeforge_dest_root, item.path] | ansible.builtin.path_join }}",
			Mode:  "{{ item.mode }}",
			Owner: "{{ item.owner }}",
			Group: "{{ item.group }}",
		},
		Loop:        "{{ kubeforge_files." + c.key() + " | default([]) }}",
		LoopControl: &loopControl{Label: "{{ item.path }}"},
		// Keys and kubeconfigs never reach the output, not even as a diff.
		NoLog:  c.secret,
		Notify: notify,
	}
}

// sitePlay returns the play installing every host's bundle: directories, then files by
// category, then the handlers of what changed, then the units enabled and running.
func sitePlay(used map[category]bool, opts Options) play {
	p := play{
		Name:   "Install kubeforge bundles",
		Hosts:  "all",
		Become: opts.Become,
		Vars: vars{
			DestRoot: "{{ kubeforge_root | default('/') }}",
			// Activation (modprobe, sysctl, systemctl) only makes sense on the real root.
			Apply: "{{ kubeforge_activate | default(kubeforge_dest_root == '/') }}",
		},
	}
	p.Tasks = append(p.Tasks, task{
		Name: "Create directories",
		File: &fileArgs{
			Path:  "{{ [kubeforge_dest_root, item.path] | ansible.builtin.path_join }}",
			State: "directory",
			Mode:  "{{ item.mode | default(omit) }}",
			Owner: "{{ item.owner | default(omit) }}",
			Group: "{{ item.group | default(omit) }}",
		},
		Loop:        "{{ kubeforge_dirs }}",
		LoopControl: &loopControl{Label: "{{ item.path }}"},
	})
	cats := make([]category, 0, len(used))
	for c := range used {
		cats = append(cats, c)
	}
	slices.SortFunc(cats, func(x, y category) int { return cmp.Compare(x.key(), y.key()) })
	for _, c := range cats {
		p.Tasks = append(p.Tasks, c.task())
	}
	p.Tasks = append(p.Tasks,
		task{Name: "Apply changed files before starting units", Meta: "flush_handlers"},
		task{
			Name:    "Enable and start units",
			Systemd: &systemdArgs{Name: "{{ item }}", Enabled: true, State: "started"},
			Loop:    "{{ kubeforge_units }}",
			When:    activated,
		},
	)
	for _, h := range handlers {
		t := h.task
		t.Name = h.name
		t.When = activated
		p.Handlers = append(p.Handlers, t)
	}
	return p
}
