package ansible

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

// hostVars are a host's bundle as data (host_vars/HOST.yml): the modes live here, not in the
// copied files, because version control does not keep modes such as 0600.
type hostVars struct {
	Dirs    []dirVar             `yaml:"kubeforge_dirs"`
	Files   map[string][]fileVar `yaml:"kubeforge_files"`
	Modules []string             `yaml:"kubeforge_modules"`
	Units   []string             `yaml:"kubeforge_units"`
}

// dirVar is a directory; an implicit parent has no mode or owner, so an existing one is left
// as the distribution made it.
type dirVar struct {
	Path  string `yaml:"path"`
	Mode  string `yaml:"mode,omitempty"`
	Owner string `yaml:"owner,omitempty"`
	Group string `yaml:"group,omitempty"`
}

type fileVar struct {
	Path  string `yaml:"path"`
	Src   string `yaml:"src"`
	Mode  string `yaml:"mode"`
	Owner string `yaml:"owner"`
	Group string `yaml:"group"`
}
