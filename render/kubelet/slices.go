package kubelet

import (
	"fmt"
	"kubeforge.dev/kubeforge/render/internal/unit"
	"path"
	"slices"
	"strings"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// kubeforge makes every reserved cgroup a systemd slice, so that systemd creates it at boot and
// the kubelet does not refuse to start with "cgroup does not exist".
//
// How the kubelet reads the name depends on its cgroup driver. With the systemd driver it
// takes the last path element as a slice name and expands it ("kube-x.slice" is
// /kube.slice/kube-x.slice); with cgroupfs it takes the path literally. kubeforge therefore
// writes the expanded slice path, which both drivers resolve to the slice's cgroup.

// systemdSlices are the slices systemd itself ships; kubeforge never writes units for them.
var systemdSlices = []string{"-.slice", "system.slice", "user.slice", "machine.slice"}

// sliceOf returns the systemd slice unit that holds the reserved cgroup named value, read the
// way the kubelet reads it with the given driver.
func sliceOf(value, driver string) (string, error) {
	var parts []string
	base := path.Base(value)
	if driver == "systemd" || strings.HasSuffix(base, ".slice") {
		// Only the last element counts; '-' separates levels and '_' stands for a '-' in a name.
		for _, p := range strings.Split(strings.TrimSuffix(base, ".slice"), "-") {
			parts = append(parts, strings.ReplaceAll(p, "_", "-"))
		}
	} else {
		parts = strings.Split(strings.Trim(value, "/"), "/")
	}
	for i, p := range parts {
		if p == "" || strings.ContainsFunc(p, func(r rune) bool { return !validSliceRune(r) }) {
			return "", fmt.Errorf("cgroup %q cannot be a systemd slice: use a name such as /kube.slice", value)
		}
		parts[i] = strings.ReplaceAll(p, "-", "_")
	}
	return strings.Join(parts, "-") + ".slice", nil
}

func validSliceRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(":_.-", r)
}

// sliceChain returns the slice and its ancestors, outermost first: "a-b.slice" gives
// a.slice, a-b.slice.
func sliceChain(unit string) []string {
	parts := strings.Split(strings.TrimSuffix(unit, ".slice"), "-")
	out := make([]string, len(parts))
	for i := range parts {
		out[i] = strings.Join(parts[:i+1], "-") + ".slice"
	}
	return out
}

// slicePath returns the cgroup path systemd gives a slice: /a.slice/a-b.slice.
func slicePath(unit string) string {
	return "/" + strings.Join(sliceChain(unit), "/")
}

// reservedCgroupName returns the name to write in the KubeletConfiguration for a reserved
// cgroup: its slice's cgroup path.
func reservedCgroupName(value, driver string) (string, error) {
	unit, err := sliceOf(value, driver)
	if err != nil {
		return "", err
	}
	return slicePath(unit), nil
}

// reservedSlices returns the slices the host's kubelet enforces reservations on: the
// kube-reserved one ("" if not enforced) and the system-reserved one ("" likewise).
func reservedSlices(c *compiler.Cluster, k compiler.Kubelet) (kube, system string, err error) {
	enforced := func(what, cgroup string) (string, error) {
		if cgroup == "" || !slices.Contains(k.EnforceNodeAllocatable, what) {
			return "", nil
		}
		return sliceOf(cgroup, c.Runtime.CgroupDriver)
	}
	if kube, err = enforced("kube-reserved", k.KubeReservedCgroup); err != nil {
		return "", "", err
	}
	system, err = enforced("system-reserved", k.SystemReservedCgroup)
	return kube, system, err
}

// sliceArtifacts returns the slice units of the host's enforced reserved cgroups that systemd
// does not ship, and the kubelet drop-in that runs the kubelet in the kube-reserved slice and
// starts the system-reserved one before it.
func sliceArtifacts(c *compiler.Cluster, h *compiler.Host) ([]artifact.Artifact, error) {
	k := h.Kubelet
	kube, system, err := reservedSlices(c, k)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", h.Name, err)
	}
	if kube == "" && system == "" {
		return nil, nil
	}
	src := sources{}
	src.add(k.Origin["enforceNodeAllocatable"], k.Origin["kubeReservedCgroup"], k.Origin["systemReservedCgroup"], "containerRuntime.cgroupDriver")

	var out []artifact.Artifact
	written := map[string]bool{}
	for _, r := range []struct{ unit, field string }{{kube, "kubeReservedCgroup"}, {system, "systemReservedCgroup"}} {
		if r.unit == "" {
			continue
		}
		for _, u := range sliceChain(r.unit) {
			if written[u] || slices.Contains(systemdSlices, u) {
				continue
			}
			written[u] = true
			data, err := sliceUnit(r.field)
			if err != nil {
				return nil, fmt.Errorf("host %s: %s: %w", h.Name, u, err)
			}
			out = append(out, artifact.File(path.Join(compiler.SystemdUnitDir, u), 0o644, data, k.Origin[r.field]).OfUnit(u))
		}
	}

	var d unit.File
	if system != "" && system != kube && !slices.Contains(systemdSlices, system) {
		// Nothing else starts a custom system-reserved slice; starting it with the kubelet
		// makes systemd create its cgroup before the kubelet checks for it.
		d.Section("Unit")
		d.Set("Wants", system)
		d.Set("After", system)
	}
	if kube != "" {
		// Slice= also makes the kubelet require and start after the slice.
		d.Section("Service")
		d.Set("Slice", kube)
	}
	data, err := d.Bytes()
	if err != nil {
		return nil, fmt.Errorf("host %s: %s: %w", h.Name, path.Base(compiler.KubeletReservedCgroupsDropInPath), err)
	}
	out = append(out, kubeletUnitFile(compiler.KubeletReservedCgroupsDropInPath, data, src.list()...))
	return out, nil
}

// sliceUnit returns a slice unit; the kubelet, not the unit, sets its limits.
func sliceUnit(field string) ([]byte, error) {
	var u unit.File
	u.Comment("Holds the cgroup of the kubelet's " + field + "; the kubelet enforces its limits.")
	u.Section("Unit")
	u.Set("Description", "Kubernetes reserved resources ("+field+")")
	u.Set("Documentation", "https://kubernetes.io/docs/tasks/administer-cluster/reserve-compute-resources/")
	u.Set("Before", "slices.target")
	u.Section("Slice")
	return u.Bytes()
}
