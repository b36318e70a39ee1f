// Package render turns the compiled model into artifacts: every file a host's bundle holds,
// and the cluster-level bundle. Each family of files has its own subpackage; this package
// only runs them, for all hosts in one pass.
package render

import (
	"fmt"
	"slices"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/parallel"
	"kubeforge.dev/kubeforge/render/apiserversec"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/firewalld"
	"kubeforge.dev/kubeforge/render/hostconfig"
	"kubeforge.dev/kubeforge/render/kubelet"
	containerruntime "kubeforge.dev/kubeforge/render/runtime"
	"kubeforge.dev/kubeforge/render/staticpod"
)

// hostRenderer renders one family of a host's files.
type hostRenderer struct {
	name   string
	render func(*compiler.Cluster, *compiler.Host, hostInputs) ([]artifact.Artifact, error)
}

// hostInputs are what the host renderers get besides the model: what the PKI step decided
// that other files depend on (passed in rather than written into the model, which rendering
// never changes), and a progress callback.
type hostInputs struct {
	// pods: whether the cluster CA's key is outside the store (no host receives it) and the
	// controller-manager's signing certificate file (pki.ClusterSigningCert); the cluster
	// bundle's kubeadm-config gets the same.
	pods staticpod.Options
	// extra adds the PKI's artifacts to a host's bundle; nil without PKI.
	extra func(*compiler.Host) []artifact.Artifact
	// rendered, when set, is called as each host is done (progress).
	rendered func()
}

// hostRenderers lists every family of per-host files (the PKI comes from its own step, which
// keeps state across compiles).
var hostRenderers = []hostRenderer{
	{"kubelet", func(c *compiler.Cluster, h *compiler.Host, _ hostInputs) ([]artifact.Artifact, error) {
		return kubelet.Artifacts(c, h)
	}},
	{"static pods", func(c *compiler.Cluster, h *compiler.Host, f hostInputs) ([]artifact.Artifact, error) {
		return staticpod.Manifests(c, h, f.pods)
	}},
	{"apiserver audit", func(c *compiler.Cluster, h *compiler.Host, _ hostInputs) ([]artifact.Artifact, error) {
		return apiserversec.HostArtifacts(c, h), nil
	}},
	{"apiserver admission and authentication", func(c *compiler.Cluster, h *compiler.Host, _ hostInputs) ([]artifact.Artifact, error) {
		return apiserversec.AdmissionAuthnArtifacts(c, h), nil
	}},
	{"host config", func(c *compiler.Cluster, h *compiler.Host, _ hostInputs) ([]artifact.Artifact, error) {
		return hostconfig.Files(c, h)
	}},
	{"firewalld", func(c *compiler.Cluster, h *compiler.Host, _ hostInputs) ([]artifact.Artifact, error) {
		return firewalld.Artifacts(c, h)
	}},
	{"container runtime", func(c *compiler.Cluster, h *compiler.Host, _ hostInputs) ([]artifact.Artifact, error) {
		return containerruntime.Artifacts(c, h)
	}},
}

// host renders one host's bundle.
func host(c *compiler.Cluster, h *compiler.Host, f hostInputs) (artifact.Bundle, error) {
	b := artifact.Bundle{Name: h.Name}
	if f.extra != nil {
		b.Add(f.extra(h)...)
	}
	for _, r := range hostRenderers {
		arts, err := r.render(c, h, f)
		if err != nil {
			return b, fmt.Errorf("host %s: %s: %w", h.Name, r.name, err)
		}
		b.Add(arts...)
	}
	return b, nil
}

// hostBundles renders the bundles of the given hosts on all cores, in the order given.
func hostBundles(c *compiler.Cluster, hosts []*compiler.Host, f hostInputs) ([]artifact.Bundle, error) {
	out := make([]artifact.Bundle, len(hosts))
	err := parallel.ForErr(len(hosts), func(i int) error {
		b, err := host(c, hosts[i], f)
		b.Sort()
		out[i] = b
		if f.rendered != nil {
			f.rendered()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		if err := mergeDuplicates(&out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// mergeDuplicates merges repeated identical directory entries of a sorted bundle, keeping the
// sources of each, and fails when two renderers claim the same file, or one directory with
// different modes or owners: one of them would silently lose.
func mergeDuplicates(b *artifact.Bundle) error {
	kept := b.Artifacts[:0]
	for i, cur := range b.Artifacts {
		if i > 0 && cur.Path == b.Artifacts[i-1].Path {
			prev := b.Artifacts[i-1]
			if prev.IsDir() && cur.IsDir() && prev.Mode == cur.Mode && prev.UID == cur.UID && prev.GID == cur.GID {
				last := &kept[len(kept)-1]
				for _, s := range cur.Sources {
					if !slices.Contains(last.Sources, s) {
						last.Sources = append(slices.Clone(last.Sources), s)
					}
				}
				continue
			}
			return fmt.Errorf("bundle %s: two artifacts for %s", b.Name, cur.Path)
		}
		kept = append(kept, cur)
	}
	b.Artifacts = kept
	return nil
}
