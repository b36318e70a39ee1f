package ansible

import "go.yaml.in/yaml/v3"

// The Ansible structures kubeforge writes. Fields are in the order ansible-lint's key-order
// rule and readers expect: name first, the module, then loop and conditions.

type play struct {
	Name        string `yaml:"name"`
	Hosts       string `yaml:"hosts"`
	Become      bool   `yaml:"become,omitempty"`
	GatherFacts bool   `yaml:"gather_facts"`
	Vars        vars   `yaml:"vars"`
	Tasks       []task `yaml:"tasks"`
	Handlers    []task `yaml:"handlers"`
}

// vars are the play's derived settings, read from inventory variables with defaults.
type vars struct {
	DestRoot string `yaml:"kubeforge_dest_root"`
	Apply    string `yaml:"kubeforge_apply"`
}

type task struct {
	Name        string       `yaml:"name"`
	File        *fileArgs    `yaml:"ansible.builtin.file,omitempty"`
	Copy        *copyArgs    `yaml:"ansible.builtin.copy,omitempty"`
	Command     *commandArgs `yaml:"ansible.builtin.command,omitempty"`
	Shell       *commandArgs `yaml:"ansible.builtin.shell,omitempty"`
	Systemd     *systemdArgs `yaml:"ansible.builtin.systemd,omitempty"`
	Meta        string       `yaml:"ansible.builtin.meta,omitempty"`
	Loop        string       `yaml:"loop,omitempty"`
	LoopControl *loopControl `yaml:"loop_control,omitempty"`
	When        string       `yaml:"when,omitempty"`
	NoLog       bool         `yaml:"no_log,omitempty"`
	ChangedWhen bool         `yaml:"changed_when,omitempty"`
	Notify      []string     `yaml:"notify,omitempty"`
}

type fileArgs struct {
	Path  string `yaml:"path"`
	State string `yaml:"state"`
	Mode  string `yaml:"mode"`
	Owner string `yaml:"owner"`
	Group string `yaml:"group"`
}

type copyArgs struct {
	Src   string `yaml:"src"`
	Dest  string `yaml:"dest"`
	Mode  string `yaml:"mode"`
	Owner string `yaml:"owner"`
	Group string `yaml:"group"`
}

type commandArgs struct {
	Argv []string `yaml:"argv,omitempty"`
	Cmd  string   `yaml:"cmd,omitempty"`
}

type systemdArgs struct {
	Name         string `yaml:"name,omitempty"`
	Enabled      bool   `yaml:"enabled,omitempty"`
	State        string `yaml:"state,omitempty"`
	DaemonReload bool   `yaml:"daemon_reload,omitempty"`
}

type loopControl struct {
	Label string `yaml:"label"`
}

// unsafe is a value of the description or a bundle, which Ansible must never template: written
// with Ansible's !unsafe tag, it reaches the module as is, whatever {{ }}, {% %} or {# #} it
// holds. Every string of host_vars and of the inventory's variables is one.
type unsafe string

// MarshalYAML returns the string as a scalar tagged !unsafe.
func (s unsafe) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!unsafe", Value: string(s)}, nil
}

// unsafeAll returns each string as unsafe.
func unsafeAll(ss []string) []unsafe {
	out := make([]unsafe, len(ss))
	for i, s := range ss {
		out[i] = unsafe(s)
	}
	return out
}

// hostVars are a host's bundle as data (host_vars/HOST.yml): the modes live here, not in the
// copied files, because version control does not keep modes such as 0600.
type hostVars struct {
	Dirs    []dirVar             `yaml:"kubeforge_dirs"`
	Files   map[string][]fileVar `yaml:"kubeforge_files"`
	Modules []unsafe             `yaml:"kubeforge_modules"`
	Units   []unsafe             `yaml:"kubeforge_units"`
	// RuntimeUnits are the units the runtime's handler restarts.
	RuntimeUnits []unsafe `yaml:"kubeforge_runtime_units"`
}

// dirVar is a directory; an implicit parent has no mode or owner, so an existing one is left
// as the distribution made it.
type dirVar struct {
	Path  unsafe `yaml:"path"`
	Mode  unsafe `yaml:"mode,omitempty"`
	Owner unsafe `yaml:"owner,omitempty"`
	Group unsafe `yaml:"group,omitempty"`
}

type fileVar struct {
	Path  unsafe `yaml:"path"`
	Src   unsafe `yaml:"src"`
	Mode  unsafe `yaml:"mode"`
	Owner unsafe `yaml:"owner"`
	Group unsafe `yaml:"group"`
}
