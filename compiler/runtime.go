package compiler

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"kubeforge.dev/kubeforge/compiler/description"
)

// Paths of the container runtimes' configuration that kubeforge writes.
const (
	ContainerdConfigPath = "/etc/containerd/config.toml"
	// ContainerdDropInPath sorts last among the usual drop-ins, so its settings win.
	ContainerdDropInPath = "/etc/containerd/conf.d/99-kubeforge.toml"
	// ContainerdCertsDir holds a directory per registry with its hosts.toml (config_path).
	ContainerdCertsDir = "/etc/containerd/certs.d"
	CRIODropInPath     = "/etc/crio/crio.conf.d/99-kubeforge.conf"
	// RegistriesDropInPath is read by CRI-O (through containers/image) for mirrors.
	RegistriesDropInPath = "/etc/containers/registries.conf.d/99-kubeforge.conf"
	CRIDockerdDropInPath = "/etc/systemd/system/cri-docker.service.d/10-kubeforge.conf"
)

// RuntimeInput is a file a container runtime reads only when it starts: after it changes, the
// runtime's unit must restart (after systemd reloads units, for a drop-in). containerd reads
// certs.d/*/hosts.toml at every pull, so those files need nothing.
type RuntimeInput struct{ Path, Unit string }

// RuntimeInputs lists every such file kubeforge writes.
var RuntimeInputs = []RuntimeInput{
	{ContainerdConfigPath, "containerd.service"},
	{ContainerdDropInPath, "containerd.service"},
	{CRIODropInPath, "crio.service"},
	{RegistriesDropInPath, "crio.service"},
	{CRIDockerdDropInPath, "cri-docker.service"},
}

// RuntimeRestartUnit returns the unit to restart when the file at p changes, and true when
// p is a runtime's start-time input.
func RuntimeRestartUnit(p string) (string, bool) {
	for _, in := range RuntimeInputs {
		if in.Path == p {
			return in.Unit, true
		}
	}
	return "", false
}

// ContainerdConfig says which containerd the hosts run and how kubeforge configures it.
type ContainerdConfig struct {
	// Major and Minor are the release series, such as 1.7 or 2.2.
	Major, Minor int
	// Complete is true when kubeforge owns /etc/containerd/config.toml; otherwise it writes a
	// drop-in.
	Complete bool
}

// ConfigVersion returns the configuration version the release reads: 2 for 1.x, 3 for 2.x.
func (c ContainerdConfig) ConfigVersion() int {
	if c.Major >= 2 {
		return 3
	}
	return 2
}

// ImportsDropIns reports whether the release's stock config.toml imports
// /etc/containerd/conf.d/*.toml (containerd 2.2 and later).
func (c ContainerdConfig) ImportsDropIns() bool {
	return c.Major > 2 || c.Major == 2 && c.Minor >= 2
}

func (c ContainerdConfig) String() string { return fmt.Sprintf("%d.%d", c.Major, c.Minor) }

// Registry is one registry with the mirrors that serve it, tried in order before it.
type Registry struct {
	Name    string
	Mirrors []Mirror
	// Origin is the description path of the mirror list (cluster, hostDefaults, group or
	// host level), for provenance and diagnostics.
	Origin string
	// List is the path of the registryMirrors map Origin is a key of: names repeat only within
	// one list.
	List string
}

// Mirror is one mirror of a registry.
type Mirror struct {
	URL string
	// CAFile is a CA bundle on the host; empty for the system's.
	CAFile     string
	SkipVerify bool
	PlainHTTP  bool
	// Path is the description path of the mirror (a URL string or a mapping).
	Path string
	// Short is true when the mirror was written as a URL string.
	Short bool
}

// FieldPath returns the description path of one of the mirror's fields ("url", "caFile",
// ...): a mirror written as a string is its URL.
func (m Mirror) FieldPath(field string) string {
	if m.Short {
		return m.Path
	}
	return m.Path + "." + field
}

// Host returns the mirror's host[:port], as CRI-O's registries.conf names a location.
func (m Mirror) Host() string {
	_, rest, _ := strings.Cut(m.URL, "://")
	return strings.TrimSuffix(rest, "/")
}

// Scheme returns "https" or "http".
func (m Mirror) Scheme() string {
	s, _, _ := strings.Cut(m.URL, "://")
	return s
}

// runtimeConfig reads the runtime's own configuration into r.
func runtimeConfig(r *Runtime, d description.ContainerRuntime) {
	// The schema allows only N.M.
	major, minor := parseSeries(d.Containerd.Version)
	r.Containerd = ContainerdConfig{Major: major, Minor: minor, Complete: d.Containerd.Config == "complete"}
	r.Registries = mergeRegistries(nil, d.RegistryMirrors, []any{"containerRuntime", "registryMirrors"})
}

func parseSeries(s string) (int, int) {
	a, b, _ := strings.Cut(s, ".")
	major, _ := strconv.Atoi(a)
	minor, _ := strconv.Atoi(b)
	return major, minor
}

// hostRegistries applies a layer's registry mirrors to a host's: a layer's list for a registry
// replaces the one before it (an empty list removes the registry's mirrors).
func hostRegistries(base []Registry, o *description.RuntimeOverrides, layer []any) []Registry {
	if o == nil || o.RegistryMirrors == nil {
		return base
	}
	return mergeRegistries(base, o.RegistryMirrors, slices.Concat(layer, []any{"containerRuntime", "registryMirrors"}))
}

// mergeRegistries returns base with the registries of m (at path) replacing those of the
// same name, sorted by name; registries left without mirrors are dropped.
func mergeRegistries(base []Registry, m map[string][]any, path []any) []Registry {
	byName := map[string]Registry{}
	for _, r := range base {
		byName[r.Name] = r
	}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		p := slices.Concat(path, []any{Key(name)})
		r := Registry{Name: name, Origin: FieldPath(p...), List: FieldPath(path...)}
		for i, e := range m[name] {
			r.Mirrors = append(r.Mirrors, mirrorOf(e, FieldPath(slices.Concat(p, []any{i})...)))
		}
		byName[name] = r
	}
	out := make([]Registry, 0, len(byName))
	for _, r := range byName {
		if len(r.Mirrors) > 0 {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(x, y Registry) int { return cmp.Compare(x.Name, y.Name) })
	return out
}

// mirrorOf reads one mirror as decoded: a URL string or a mapping the schema has checked.
func mirrorOf(e any, path string) Mirror {
	switch v := e.(type) {
	case string:
		return Mirror{URL: v, Path: path, Short: true}
	case map[string]any:
		m := Mirror{Path: path}
		m.URL, _ = v["url"].(string)
		m.CAFile, _ = v["caFile"].(string)
		m.SkipVerify, _ = v["skipVerify"].(bool)
		m.PlainHTTP, _ = v["plainHTTP"].(bool)
		return m
	}
	return Mirror{Path: path}
}
