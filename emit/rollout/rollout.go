// Package rollout renders the stages of an upgrade plan (compiler/upgrade): what each stage
// changes on each host, and, for review in CI, each stage's description and bundles written
// by the writer compile uses.
package rollout

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/compiler/upgrade"
	"kubeforge.dev/kubeforge/emit"
	"kubeforge.dev/kubeforge/render"
	"kubeforge.dev/kubeforge/render/artifact"
)

// HostChange is what a stage changes on one host: the files, the static pods the kubelet
// restarts from their changed manifests, and the units to restart.
type HostChange struct {
	Host string `json:"host"`
	// Kubelet is the version of the kubelet (and kubeadm) package to install, on the hosts
	// the stage moves: the binaries are the operator's, their files kubeforge's.
	Kubelet    string   `json:"kubelet,omitempty"`
	Files      []string `json:"files"`
	StaticPods []string `json:"staticPods,omitempty"`
	Restarts   []string `json:"restarts,omitempty"`
}

// StageChanges are a stage's changes: per host (hosts without any are left out) and the
// cluster bundle's files.
type StageChanges struct {
	Hosts   []HostChange `json:"hosts"`
	Cluster []string     `json:"cluster,omitempty"`
}

// Changes returns what each stage changes from the one before (the first from the input),
// comparing the stages' bundles rendered without PKI: certificates do not change with a
// version, and the store is not read.
func Changes(p *upgrade.Plan) ([]StageChanges, error) {
	before, err := render.Compile(p.Input, render.Options{})
	if err != nil {
		return nil, fmt.Errorf("the description: %w", err)
	}
	out := make([]StageChanges, len(p.Stages))
	for i, s := range p.Stages {
		after, err := render.Compile(s.Cluster, render.Options{})
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", s.Name, err)
		}
		out[i] = compare(before, after)
		out[i].moved(s)
		before = after
	}
	return out, nil
}

// compare lists what differs between two renders of the same hosts.
func compare(before, after *render.Result) StageChanges {
	var sc StageChanges
	for i, b := range after.Hosts {
		if hc := hostChange(before.Hosts[i], b); len(hc.Files) > 0 {
			sc.Hosts = append(sc.Hosts, hc)
		}
	}
	if before.Cluster != nil && after.Cluster != nil {
		sc.Cluster = changedPaths(*before.Cluster, *after.Cluster)
	}
	return sc
}

// hostChange derives restarts from the changed artifacts' effects, as the renderers state
// them: a manifest the kubelet watches restarts its pod, a file the kubelet or the runtime
// reads at start restarts that unit.
func hostChange(before, after artifact.Bundle) HostChange {
	hc := HostChange{Host: after.Name}
	old := byPath(before)
	seen := map[string]bool{}
	note := func(a artifact.Artifact) {
		hc.Files = append(hc.Files, a.Path)
		if a.Effects.Has(artifact.KubeletWatches) && path.Dir(a.Path) == compiler.ManifestsDir {
			hc.StaticPods = append(hc.StaticPods, strings.TrimSuffix(path.Base(a.Path), ".yaml"))
		}
		for _, u := range restartedUnits(a) {
			if !seen[u] {
				seen[u] = true
				hc.Restarts = append(hc.Restarts, u)
			}
		}
	}
	for _, a := range after.Artifacts {
		if o, ok := old[a.Path]; !ok || !sameArtifact(o, a) {
			note(a)
		}
		delete(old, a.Path)
	}
	for _, p := range slices.Sorted(maps.Keys(old)) {
		note(old[p])
	}
	slices.Sort(hc.Files)
	slices.Sort(hc.StaticPods)
	slices.Sort(hc.Restarts)
	return hc
}

// moved adds, for each host the stage moves to its version, the kubelet to install and
// restart, whether or not its files change.
func (sc *StageChanges) moved(s upgrade.Stage) {
	for _, name := range s.Hosts {
		i := slices.IndexFunc(sc.Hosts, func(h HostChange) bool { return h.Host == name })
		if i < 0 {
			sc.Hosts = append(sc.Hosts, HostChange{Host: name, Files: []string{}})
			i = len(sc.Hosts) - 1
		}
		h := &sc.Hosts[i]
		h.Kubelet = s.To.String()
		if !slices.Contains(h.Restarts, "kubelet.service") {
			h.Restarts = append(h.Restarts, "kubelet.service")
			slices.Sort(h.Restarts)
		}
	}
}

// restartedUnits are the units a changed file restarts.
func restartedUnits(a artifact.Artifact) []string {
	var out []string
	if a.Effects.Has(artifact.RestartRuntime) && a.Unit != "" {
		out = append(out, a.Unit)
	}
	if a.Effects.Has(artifact.RestartKubelet) {
		out = append(out, "kubelet.service")
	}
	return out
}

func changedPaths(before, after artifact.Bundle) []string {
	var out []string
	old := byPath(before)
	for _, a := range after.Artifacts {
		if o, ok := old[a.Path]; !ok || !sameArtifact(o, a) {
			out = append(out, a.Path)
		}
		delete(old, a.Path)
	}
	out = append(out, slices.Collect(maps.Keys(old))...)
	slices.Sort(out)
	return out
}

func sameArtifact(a, b artifact.Artifact) bool {
	return a.Mode == b.Mode && a.UID == b.UID && a.GID == b.GID && bytes.Equal(a.Data, b.Data)
}

func byPath(b artifact.Bundle) map[string]artifact.Artifact {
	out := make(map[string]artifact.Artifact, len(b.Artifacts))
	for _, a := range b.Artifacts {
		out[a.Path] = a
	}
	return out
}

// WriteOptions are what Write passes on to each stage's compile.
type WriteOptions struct {
	// StoreDir is the PKI store every stage compiles with, so certificates stay the same
	// across stages; empty means emit.StoreDirFor(dir).
	StoreDir string
	NoPKI    bool
	Formats  []emit.Format
	Notes    func(string)
}

// DescriptionFile and BundlesDir name what Write puts in a stage's directory.
const (
	DescriptionFile = "description.yaml"
	BundlesDir      = "bundles"
)

// Write writes each stage into dir/NAME/: its description and its bundles, compiled by
// emit.Compile as `kubeforge compile` would compile the description into NAME/bundles with the
// same store. dir is for review, so it holds no key outside the bundles: the store must lie
// outside it, and a description holding a private key is refused before anything is written.
func Write(dir string, p *upgrade.Plan, o WriteOptions) error {
	store := o.StoreDir
	if store == "" {
		store = emit.StoreDirFor(dir)
	}
	if !o.NoPKI {
		if err := emit.CheckStoreOutside(dir, store); err != nil {
			return fmt.Errorf("the stages directory %s is for review and holds no key outside the bundles: %w", dir, err)
		}
	}
	for _, s := range p.Stages {
		if untrusted.ContainsPrivateKey(s.Description) {
			return fmt.Errorf("stage %s: the description holds a private key, which %s would carry to every reviewer; keep keys in files the description names", s.Name, DescriptionFile)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, s := range p.Stages {
		sd := filepath.Join(dir, s.Name)
		if err := os.MkdirAll(sd, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(sd, DescriptionFile), s.Description, 0o644); err != nil {
			return err
		}
		co := emit.CompileOptions{Output: filepath.Join(sd, BundlesDir), StoreDir: store, NoPKI: o.NoPKI, Formats: o.Formats, Notes: o.Notes}
		if _, err := emit.Compile(s.Cluster, co); err != nil {
			return fmt.Errorf("stage %s: %w", s.Name, err)
		}
	}
	return nil
}
