// Package ansible turns host bundles into an Ansible project: an inventory grouped by role, a
// playbook installing each host's bundle with exact modes and owners, and handlers that make
// changed files take effect, run only when something changed.
//
// Installing into another root, as tests and image builds do, is a variable away: set
// kubeforge_root (default "/") per host; nothing is then activated (no modprobe, sysctl or
// systemctl) unless kubeforge_activate says so.
package ansible

import (
	"bytes"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/emit/internal/install"
	"kubeforge.dev/kubeforge/render/artifact"
)

// HostInfo is what the inventory says about a host.
type HostInfo struct {
	Name string
	// Address is where Ansible connects (ansible_host).
	Address string
	// Roles become inventory groups, with dashes as underscores (control_plane).
	Roles []string
}

// Options shape the playbook.
type Options struct {
	// Become makes the play escalate privileges (become: true), for connecting as a user.
	Become bool
}

// File is a file of the Ansible project, with the mode it must be written with: copies of
// secret files are 0600 on the controller too.
type File struct {
	Data []byte
	Mode fs.FileMode
}

// Paths in the project.
const (
	InventoryPath = "inventory.yml"
	PlaybookPath  = "site.yml"
	filesDir      = "files"
	hostVarsDir   = "host_vars"
)

// Playbook returns the Ansible project installing the bundles, by path relative to the output
// root: ansible.cfg, .ansible-lint, inventory.yml, site.yml, host_vars/HOST.yml and the
// bundles' files under files/HOST/. Every bundle but the cluster bundle (applied through the
// API, not installed on a host) needs a HostInfo of the same name.
func Playbook(bundles []artifact.Bundle, hosts []HostInfo, opts Options) (map[string]File, error) {
	out := map[string]File{
		"ansible.cfg":   {Data: []byte(ansibleCfg), Mode: 0o644},
		".ansible-lint": {Data: []byte(lintConfig), Mode: 0o644},
	}
	inv, err := inventory(hosts)
	if err != nil {
		return nil, err
	}
	out[InventoryPath] = File{Data: inv, Mode: 0o644}

	// The play runs on every inventory host: each needs a bundle, and each bundle a host.
	unmatched := map[string]bool{}
	for _, h := range hosts {
		unmatched[h.Name] = true
	}
	used := map[category]bool{}
	for _, b := range bundles {
		if b.Name == artifact.ClusterBundle {
			continue
		}
		if !unmatched[b.Name] {
			return nil, fmt.Errorf("ansible: bundle %s has no host in the inventory, or appears twice", b.Name)
		}
		delete(unmatched, b.Name)
		p, err := install.New(b)
		if err != nil {
			return nil, err
		}
		if err := checkPaths(p); err != nil {
			return nil, fmt.Errorf("ansible: bundle %s: %w", b.Name, err)
		}
		hv := hostVarsOf(p, used)
		data, err := encodeYAML(hv)
		if err != nil {
			return nil, fmt.Errorf("ansible: host_vars of %s: %w", b.Name, err)
		}
		out[path.Join(hostVarsDir, b.Name+compiler.HostVarsSuffix)] = File{Data: data, Mode: 0o644}
		for _, f := range p.Files {
			mode := fs.FileMode(0o644)
			if f.Secret {
				mode = 0o600
			}
			out[path.Join(filesDir, b.Name, install.Relative(f.Path))] = File{Data: f.Data, Mode: mode}
		}
	}
	if len(unmatched) > 0 {
		return nil, fmt.Errorf("ansible: hosts %s have no bundle", strings.Join(slices.Sorted(maps.Keys(unmatched)), ", "))
	}
	pb, err := encodeYAML([]play{sitePlay(used, opts)})
	if err != nil {
		return nil, fmt.Errorf("ansible: playbook: %w", err)
	}
	out[PlaybookPath] = File{Data: pb, Mode: 0o644}
	return out, nil
}

// hostVarsOf returns a host's variables, and records in used the file categories it needs.
func hostVarsOf(p install.Plan, used map[category]bool) hostVars {
	hv := hostVars{Files: map[string][]fileVar{}, Modules: unsafeAll(p.Modules()), Units: []unsafe{},
		RuntimeUnits: unsafeAll(p.RuntimeUnits())}
	// Every directory is listed, parents first: the file module would give parents it creates
	// the mode of the directory it was asked for (/var 0700 for /var/lib/kubelet).
	for _, d := range p.Dirs {
		v := dirVar{Path: unsafe(install.Relative(d.Path))}
		if !d.Implicit {
			v.Mode, v.Owner, v.Group = unsafe(install.Octal(d.Mode)), owner(d.UID), owner(d.GID)
		}
		hv.Dirs = append(hv.Dirs, v)
	}
	for _, f := range p.Files {
		c := categoryOf(f)
		used[c] = true
		hv.Files[c.key()] = append(hv.Files[c.key()], fileVar{
			Path:  unsafe(install.Relative(f.Path)),
			Src:   unsafe(path.Join(p.Host, install.Relative(f.Path))),
			Mode:  unsafe(install.Octal(f.Mode)),
			Owner: owner(f.UID),
			Group: owner(f.GID),
		})
	}
	for _, u := range p.Units() {
		if u.Enable {
			hv.Units = append(hv.Units, unsafe(u.Name))
		}
	}
	return hv
}

// checkPaths refuses a path holding '$': Ansible expands environment variables in path
// arguments (src, dest, path), so it would land elsewhere, and has no escape for it.
func checkPaths(p install.Plan) error {
	for _, d := range p.Dirs {
		if strings.Contains(d.Path, "$") {
			return fmt.Errorf("path %q: Ansible would expand the '$' in it", d.Path)
		}
	}
	for _, f := range p.Files {
		if strings.Contains(f.Path, "$") {
			return fmt.Errorf("path %q: Ansible would expand the '$' in it", f.Path)
		}
	}
	return nil
}

// owner names id 0 root, which every node has; Ansible takes other ids as numbers.
func owner(id int) unsafe {
	if id == 0 {
		return "root"
	}
	return unsafe(fmt.Sprint(id))
}

// encodeYAML returns v as a YAML document with two-space indentation.
func encodeYAML(v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("---\n# Generated by kubeforge.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// groupName returns the inventory group of a role: Ansible warns about dashes in group names.
func groupName(role string) string { return strings.ReplaceAll(role, "-", "_") }

const ansibleCfg = `# Generated by kubeforge.
[defaults]
inventory = inventory.yml
`

// lintConfig makes ansible-lint check the playbook as CI should, and skip the bundle files,
// which are the nodes' data (manifests, configs), not Ansible content.
const lintConfig = `---
# Generated by kubeforge.
profile: production
offline: true
exclude_paths:
  - files/
`
