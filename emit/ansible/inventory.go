package ansible

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"kubeforge.dev/kubeforge/emit/internal/install"
)

type inventoryFile struct {
	All inventoryGroup `yaml:"all"`
}

type inventoryGroup struct {
	Hosts    map[string]inventoryHost  `yaml:"hosts"`
	Children map[string]inventoryGroup `yaml:"children,omitempty"`
}

// inventoryHost holds the connection address of a host in all, and nothing in the groups.
type inventoryHost struct {
	AnsibleHost unsafe `yaml:"ansible_host,omitempty"`
}

// groupNameRE is an inventory group name Ansible takes without a warning.
var groupNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// inventory returns inventory.yml: every host with its address under all, and a group per
// role listing its hosts.
func inventory(hosts []HostInfo) ([]byte, error) {
	inv := inventoryFile{All: inventoryGroup{Hosts: map[string]inventoryHost{}, Children: map[string]inventoryGroup{}}}
	for _, h := range slices.SortedFunc(slices.Values(hosts), func(x, y HostInfo) int { return cmp.Compare(x.Name, y.Name) }) {
		if err := install.CheckHostName(h.Name); err != nil {
			return nil, fmt.Errorf("ansible: %w", err)
		}
		if strings.ContainsFunc(h.Address, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) || !utf8.ValidString(h.Address) {
			return nil, fmt.Errorf("ansible: host %s: address %q", h.Name, h.Address)
		}
		if _, dup := inv.All.Hosts[h.Name]; dup {
			return nil, fmt.Errorf("ansible: host %s appears twice", h.Name)
		}
		inv.All.Hosts[h.Name] = inventoryHost{AnsibleHost: unsafe(h.Address)}
		for _, r := range h.Roles {
			g := groupName(r)
			if !groupNameRE.MatchString(g) {
				return nil, fmt.Errorf("ansible: host %s: role %q is no inventory group name", h.Name, r)
			}
			if inv.All.Children[g].Hosts == nil {
				inv.All.Children[g] = inventoryGroup{Hosts: map[string]inventoryHost{}}
			}
			inv.All.Children[g].Hosts[h.Name] = inventoryHost{}
		}
	}
	return encodeYAML(inv)
}
