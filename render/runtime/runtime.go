// Package runtime renders the container runtime's own configuration from the description:
// containerd's config (a drop-in or the whole file) and its registry hosts, CRI-O's drop-ins,
// cri-dockerd's unit drop-in. Each sets the cgroup driver the kubelet uses and the sandbox
// image of the cluster's Kubernetes minor, and nothing else kubeforge has no reason to set.
package runtime

import (
	"fmt"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// header opens every file, so whoever finds it on a node knows where it comes from.
const header = "Written by kubeforge from the cluster description: edit the description, not this file."

// Artifacts returns the host's runtime configuration files.
func Artifacts(c *compiler.Cluster, h *compiler.Host) ([]artifact.Artifact, error) {
	var out []artifact.Artifact
	var err error
	switch c.Runtime.Kind {
	case "containerd":
		out, err = containerdArtifacts(c, h)
	case "cri-o":
		out, err = crioArtifacts(c, h)
	case "cri-dockerd":
		out, err = criDockerdArtifacts(c, h)
	default:
		err = fmt.Errorf("unknown container runtime %q", c.Runtime.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("container runtime %s: %w", c.Runtime.Kind, err)
	}
	for i := range out {
		out[i] = restarting(out[i])
	}
	return out, nil
}

// restarting returns a marked with the restart of the runtime's unit when the runtime reads it
// only at start (compiler.RuntimeInputs); containerd's hosts.toml files, read at every pull,
// need nothing.
func restarting(a artifact.Artifact) artifact.Artifact {
	if u, ok := compiler.RuntimeRestartUnit(a.Path); ok {
		return a.Restarting(u)
	}
	return a
}

// sandboxSources returns the fields that choose the runtime's configuration file and the
// sandbox image in it: the image is of the host's Kubernetes minor.
func sandboxSources(h *compiler.Host) []string {
	return []string{kindSource, h.VersionField, "imageRepository"}
}

// kindSource is the field that decides which runtime's files a host gets.
const kindSource = "containerRuntime.kind"

// registrySources returns the description paths of the host's mirror lists, and the runtime's
// kind that decides their format.
func registrySources(regs []compiler.Registry) []string {
	out := []string{kindSource}
	for _, r := range regs {
		out = append(out, r.Origin)
	}
	return out
}
