// Package firewalld renders the firewalld configuration that opens a host's Kubernetes ports:
// one service per role of the host, and the zone that enables them. Every port comes from
// the cluster's port table, so a custom port changes the flags, the probes and the firewall
// together.
package firewalld

import (
	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// Description fields every firewalld file is derived from.
const (
	srcEnabled = "firewall.enabled"
	srcZone    = "firewall.zone"
)

// roleOrder fixes the order of services in the zone, whatever the order of a host's roles.
var roleOrder = []compiler.Role{compiler.RoleControlPlane, compiler.RoleEtcd, compiler.RoleWorker}

// Artifacts returns the host's service files and zone file, or nothing when the firewall is
// disabled. It fails on a zone name, port or protocol firewalld would refuse.
func Artifacts(c *compiler.Cluster, h *compiler.Host) ([]artifact.Artifact, error) {
	if !c.Firewall.Enabled {
		return nil, nil
	}
	if err := compiler.ZoneNameError(c.Firewall.Zone); err != nil {
		return nil, err
	}
	rolesSrc := h.Field("roles")
	var out []artifact.Artifact
	var services []string
	for _, r := range roleOrder {
		if !h.Has(r) {
			continue
		}
		svc, sources, err := roleService(c, h, r)
		if err != nil {
			return nil, err
		}
		if len(svc.Ports) == 0 {
			continue
		}
		name := serviceName(r)
		data, err := marshal(svc)
		if err != nil {
			return nil, err
		}
		sources = append([]string{srcEnabled, rolesSrc}, sources...)
		out = append(out, artifact.File(compiler.FirewalldServicePath(name), 0o644, data, sources...).Affecting(artifact.ReloadFirewalld))
		services = append(services, name)
	}
	data, err := marshal(zoneFor(c, services))
	if err != nil {
		return nil, err
	}
	out = append(out, artifact.File(compiler.FirewalldZonePath(c.Firewall.Zone), 0o644, data, srcEnabled, srcZone, rolesSrc).
		Affecting(artifact.ReloadFirewalld))
	return out, nil
}

// serviceName returns the firewalld service kubeforge defines for a role.
func serviceName(r compiler.Role) string { return "kubeforge-" + string(r) }
