// Package upgrade plans a rolling upgrade of a cluster as stages: each stage is a complete
// description (the user's, with per-host versions written in) that passes every check of
// the compiler, the version skew policy included. It produces descriptions and never renders:
// what a stage changes on each host is emit/rollout's.
//
// The order is kubeadm's: one control-plane host at a time (its stacked etcd member with it),
// then dedicated etcd hosts one at a time, then the cluster bundle (kube-proxy, CoreDNS,
// kubeadm-config move to the new version), then the other hosts in batches. A minor is never
// skipped: a target two minors ahead is reached through the one between.
package upgrade

import (
	"fmt"
	"path/filepath"
	"strings"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/description"
	"kubeforge.dev/kubeforge/compiler/diag"
)

// Kind is what a stage upgrades.
type Kind string

const (
	KindControlPlane Kind = "control-plane"
	KindEtcd         Kind = "etcd"
	KindAddons       Kind = "addons"
	KindWorkers      Kind = "workers"
)

// Stage is one step of the roll-out.
type Stage struct {
	// Name is unique in the plan and a directory name: 03-control-plane-cp3.
	Name string
	Kind Kind
	// To is the version the stage moves its hosts (or, for addons, the cluster bundle) to.
	To compiler.Version
	// Hosts are the hosts whose version the stage changes, in description order; none for
	// addons.
	Hosts []string
	// Description is the stage's description, YAML; Cluster is it compiled, and Diagnostics
	// its warnings.
	Description []byte
	Cluster     *compiler.Cluster
	Diagnostics diag.List
}

// Plan is the ordered stages from the description to the target version.
type Plan struct {
	From, To compiler.Version
	// Input is the description as given, compiled: the state before the first stage.
	Input  *compiler.Cluster
	Stages []Stage
}

// Input is the description to plan from: its bytes, and the name it is read by (its path;
// relative file paths in it, such as an audit policy, resolve against its directory).
type Input struct {
	Name string
	Data []byte
}

// Error is a description the plan cannot go from or through: the input's diagnostics, a
// stage that fails a check, or a target behind a host. Stage is "" for the input.
type Error struct {
	Stage       string
	Diagnostics diag.List
	// Sources hold the text the diagnostics point into (the stage's description).
	Sources diag.Sources
	Reason  string
}

func (e *Error) Error() string {
	where := "the description"
	if e.Stage != "" {
		where = "stage " + e.Stage
	}
	if e.Reason != "" {
		return where + ": " + e.Reason
	}
	return fmt.Sprintf("%s does not pass the checks (%d errors)", where, len(e.Diagnostics.Errors()))
}

// CheckFile refuses a description file a plan cannot be made from: the stages are the file
// edited as YAML (JSON is YAML), so CUE is not one.
func CheckFile(name string) error {
	lower := strings.ToLower(name)
	if !strings.HasSuffix(lower, ".yaml") && !strings.HasSuffix(lower, ".yml") && !strings.HasSuffix(lower, ".json") {
		return fmt.Errorf("an upgrade is planned from one YAML or JSON file, not %q (export a CUE description with `cue export --out yaml`)", name)
	}
	return nil
}

// Make plans the upgrade of in to the version to, with batch workers a stage.
func Make(in Input, to compiler.Version, batch Batch) (*Plan, error) {
	if err := CheckFile(in.Name); err != nil {
		return nil, &Error{Reason: err.Error()}
	}
	c, ds := load(in.Name, in.Data)
	if ds.HasErrors() {
		return nil, &Error{Diagnostics: ds, Sources: diag.Sources{in.Name: in.Data}}
	}
	doc, err := parseDocument(in.Data)
	if err != nil {
		return nil, &Error{Reason: err.Error()}
	}
	now := versions{cluster: c.Version}
	for _, h := range c.Hosts {
		now.hosts = append(now.hosts, h.Version)
	}
	if err := notBehind(c, to); err != nil {
		return nil, err
	}
	p := &Plan{From: c.Version, To: to, Input: c}
	for _, step := range steps(now, to) {
		for _, s := range stagesTo(c, now, step, batch) {
			now = s.versions
			p.Stages = append(p.Stages, Stage{Kind: s.kind, To: step, Hosts: s.hosts})
			p.Stages[len(p.Stages)-1].Description, err = doc.render(now)
			if err != nil {
				return nil, &Error{Reason: err.Error()}
			}
		}
	}
	width := max(2, len(fmt.Sprint(len(p.Stages))))
	for i := range p.Stages {
		s := &p.Stages[i]
		s.Name = fmt.Sprintf("%0*d-%s", width, i+1, s.Kind)
		if s.Kind == KindControlPlane || s.Kind == KindEtcd {
			s.Name += "-" + s.Hosts[0]
		} else if s.Kind == KindWorkers {
			s.Name += fmt.Sprintf("-%s-%d", s.To.MinorString(), s.batchNumber(p.Stages[:i]))
		}
		name := filepath.Join(filepath.Dir(in.Name), s.Name+".yaml")
		if s.Cluster, s.Diagnostics = load(name, s.Description); s.Diagnostics.HasErrors() {
			return nil, &Error{Stage: s.Name, Diagnostics: s.Diagnostics, Sources: diag.Sources{name: s.Description}}
		}
	}
	return p, nil
}

// batchNumber counts the workers stages of the same version before s, plus one.
func (s *Stage) batchNumber(before []Stage) int {
	n := 1
	for _, b := range before {
		if b.Kind == KindWorkers && b.To == s.To {
			n++
		}
	}
	return n
}

// load compiles a description held in memory as if read from name, relative paths in it
// resolving against name's directory.
func load(name string, data []byte) (*compiler.Cluster, diag.List) {
	src, ds := description.LoadBytes(name, data)
	if ds.HasErrors() {
		return nil, ds
	}
	src.Dir = filepath.Dir(name)
	c, _, ds := compiler.FromSource(src, ds)
	return c, ds
}

// notBehind refuses a target older than the cluster or one of its hosts: a plan never
// downgrades.
func notBehind(c *compiler.Cluster, to compiler.Version) error {
	if older(to, c.Version) {
		return &Error{Reason: fmt.Sprintf("the cluster runs %s, newer than %s: kubeforge plans upgrades, not downgrades", c.Version, to)}
	}
	for _, h := range c.Hosts {
		if older(to, h.Version) {
			return &Error{Reason: fmt.Sprintf("host %s runs %s (%s), newer than %s: kubeforge plans upgrades, not downgrades", h.Name, h.Version, h.VersionField, to)}
		}
	}
	return nil
}

// older reports whether a is an older release than b.
func older(a, b compiler.Version) bool {
	return a.Minor < b.Minor || a.Minor == b.Minor && a.Patch < b.Patch
}

// steps returns the versions the roll-out goes through: the newest patch of every minor
// after the oldest running one, up to the target itself.
func steps(now versions, to compiler.Version) []compiler.Version {
	oldest := now.cluster
	for _, v := range now.hosts {
		if older(v, oldest) {
			oldest = v
		}
	}
	var out []compiler.Version
	for m := oldest.Minor + 1; m < to.Minor; m++ {
		v, _, err := compiler.ParseVersion(fmt.Sprintf("1.%d", m))
		if err != nil {
			continue // the target parsed, so every minor before it back to a running one has a row
		}
		out = append(out, v)
	}
	return append(out, to)
}

// planned is a stage before its description is written: what it moves, and the versions
// after it.
type planned struct {
	kind     Kind
	hosts    []string
	versions versions
}

// stagesTo returns the stages that bring everything behind step to it, from now.
func stagesTo(c *compiler.Cluster, now versions, step compiler.Version, batch Batch) []planned {
	var out []planned
	move := func(kind Kind, hs []*compiler.Host) {
		next := versions{cluster: now.cluster, hosts: append([]compiler.Version(nil), now.hosts...)}
		var names []string
		for _, h := range hs {
			next.hosts[h.Index] = step
			names = append(names, h.Name)
		}
		out = append(out, planned{kind: kind, hosts: names, versions: next})
		now = next
	}
	behind := func(keep func(*compiler.Host) bool) []*compiler.Host {
		var hs []*compiler.Host
		for _, h := range c.Hosts {
			if keep(h) && older(now.hosts[h.Index], step) {
				hs = append(hs, h)
			}
		}
		return hs
	}
	controlPlane := func(h *compiler.Host) bool { return h.Has(compiler.RoleControlPlane) }
	etcdOnly := func(h *compiler.Host) bool { return !controlPlane(h) && c.RunsEtcd(h) }
	for _, h := range behind(controlPlane) {
		move(KindControlPlane, []*compiler.Host{h})
	}
	for _, h := range behind(etcdOnly) {
		move(KindEtcd, []*compiler.Host{h})
	}
	if older(now.cluster, step) {
		out = append(out, planned{kind: KindAddons, versions: versions{cluster: step, hosts: now.hosts}})
		now = out[len(out)-1].versions
	}
	rest := behind(func(h *compiler.Host) bool { return !controlPlane(h) && !etcdOnly(h) })
	size := batch.Size(len(rest))
	for len(rest) > 0 {
		n := min(size, len(rest))
		move(KindWorkers, rest[:n])
		rest = rest[n:]
	}
	return out
}
