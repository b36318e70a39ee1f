package ansible

import (
	"cmp"
	"fmt"
	"slices"
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
	AnsibleHost string `yaml:"ansible_host,omitempty"`
}

// inventory returns inventory.yml: every host with its address under all, and a group per
// role listing its hosts.
func inventory(hosts []HostInfo) ([]byte, error) {
	inv := inventoryFile{All: inventoryGroup{Hosts: map[string]inventoryHost{}, Children: map[string]inventoryGroup{}}}
	for _, h := range slices.SortedFunc(slices.Values(hosts), func(x, y HostInfo) int { return cmp.Compare(x.Name, y.Name) }) {
		if h.Name == "" {
			return nil, fmt.Errorf("ansible: a host has no name")
		}
		if _, dup := inv.All.Hosts[h.Name]; dup {
			return nil, fmt.Errorf("ansible: host %s appears twice", h.Name)
		}
		inv.All.Hosts[h.Name] = inventoryHost{AnsibleHost: h.Address}
		for _, r := range h.Roles {
			g := groupName(r)
			if inv.All.Children[g].Hosts == nil {
				inv.All.Children[g] = inventoryGroup{Hosts: map[string]inventoryHost{}}
			}
			inv.All.Children[g].Hosts[h.Name] = inventoryHost{}
		}
	}
	return encodeYAML(inv)
}
