package kubelet

import (
	"fmt"
	"maps"
	"strings"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// kubeadmFlags returns the flags of kubeadm-flags.env, in order: kubeforge's per-node flags
// sorted by name, then the host's extra args sorted by name, which replace same-named flags
// (kubeadm puts the overrides last the same way).
func kubeadmFlags(h *compiler.Host) ([]string, sources) {
	src := sources{}
	base := map[string]string{}
	if ips := h.NodeIPs(); len(ips) > 0 {
		base["node-ip"] = compiler.JoinAddrs(ips)
		src.add(hostField(h, "addresses"))
	}
	// The kubelet names its node after the hostname, which kubeforge takes to be the host's
	// name; kubeadm likewise overrides it only when the node name differs.
	if h.NodeName != h.Name {
		base["hostname-override"] = h.NodeName
		src.add(hostField(h, "nodeName"))
	}
	// Only the labels NodeRestriction lets the kubelet set; role labels go through the API.
	if labels := h.KubeletLabels(); len(labels) > 0 {
		pairs := make([]string, 0, len(labels))
		for _, k := range sortedKeys(labels) {
			pairs = append(pairs, k+"="+labels[k])
		}
		base["node-labels"] = strings.Join(pairs, ",")
		src.add(hostField(h, "labels"))
		if h.Has(compiler.RoleControlPlane) {
			src.add(hostField(h, "roles"))
		}
	}
	flags, from := credentialProviderFlags(h)
	maps.Copy(base, flags)
	src.add(from...)
	extra := h.Kubelet.ExtraArgs
	if len(extra) > 0 {
		src.add(h.Kubelet.Origin["extraArgs"])
	}
	var names []string
	for _, n := range sortedKeys(base) {
		if _, overridden := extra[n]; !overridden {
			names = append(names, n)
		}
	}
	return append(flagArgs(names, base), flagArgs(sortedKeys(extra), extra)...), src
}

// flagsArtifact returns kubeadm-flags.env, which kubeadm's drop-in reads into
// KUBELET_KUBEADM_ARGS.
func flagsArtifact(h *compiler.Host) (artifact.Artifact, error) {
	flags, src := kubeadmFlags(h)
	data, err := envFileWords(kubeadmFlagsVar, flags)
	if err != nil {
		return artifact.Artifact{}, fmt.Errorf("host %s: %s: %w", h.Name, compiler.KubeletEnvPath, err)
	}
	return artifact.File(compiler.KubeletEnvPath, 0o644, data, src.list()...).Affecting(artifact.RestartKubelet), nil
}
