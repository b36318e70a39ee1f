// Package kubelet renders a host's kubelet files as kubeadm and the Kubernetes packages lay
// them out: the KubeletConfiguration, kubeadm's flags file and instance config, the systemd
// unit with its drop-ins, the proxy drop-ins of the kubelet and the container runtime, and
// the slices reserved cgroups live in.
package kubelet

import (
	"cmp"
	"fmt"
	"slices"

	kubeletconfigv1beta1 "k8s.io/kubelet/config/v1beta1"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// Modes kubeadm creates the kubelet's directory and the manifests directory with.
const (
	kubeletDirMode   = 0o700
	manifestsDirMode = 0o700
)

// Artifacts returns every kubelet file of the host's bundle, sorted by path.
func Artifacts(c *compiler.Cluster, h *compiler.Host) ([]artifact.Artifact, error) {
	var out []artifact.Artifact

	// config.yaml is written in the API version this renderer builds; a host whose row of the
	// version table names another is refused rather than written in the wrong one.
	if want, have := h.Release.APIs.Kubelet, kubeletconfigv1beta1.SchemeGroupVersion.String(); want != have {
		return nil, fmt.Errorf("host %s: Kubernetes %s's kubelet reads %q, not %s", h.Name, h.Version.MinorString(), want, have)
	}
	cfg, src, err := hostConfig(c, h)
	if err != nil {
		return nil, err
	}
	data, err := Marshal(cfg)
	if err != nil {
		return nil, err
	}
	out = append(out,
		// kubeadm creates the kubelet's directory 0700: it holds the kubelet's keys and the
		// pods' volumes, Secrets included.
		artifact.Dir(compiler.KubeletDir, kubeletDirMode, hostField(h, "roles")),
		artifact.File(compiler.KubeletConfigPath, kubeletFileMode, data, src...).Affecting(artifact.RestartKubelet))
	if cfg.StaticPodPath != "" {
		// What staticPodPath names exists, with kubeadm's mode, on hosts without static pods
		// too (the control plane's renderer lists the same directory where it has pods).
		out = append(out, artifact.Dir(cfg.StaticPodPath, manifestsDirMode, hostField(h, "roles")))
	}

	if creds, ok, err := credentialProviderArtifact(h); err != nil {
		return nil, fmt.Errorf("host %s: %s: %w", h.Name, compiler.CredentialProviderConfigPath, err)
	} else if ok {
		out = append(out, creds)
	}

	units, err := unitArtifacts(c, h)
	if err != nil {
		return nil, err
	}
	out = append(out, units...)
	proxy, err := proxyArtifacts(c)
	if err != nil {
		return nil, err
	}
	out = append(out, proxy...)

	if c.EtcdOnly(h) {
		// A standalone kubelet: no apiserver to register with, so neither kubeadm's flags
		// nor its instance config apply.
		etcd, err := etcdServiceManagerArtifact(c, h)
		if err != nil {
			return nil, err
		}
		out = append(out, etcd)
	} else {
		inst, err := instanceConfig(c)
		if err != nil {
			return nil, err
		}
		flags, err := flagsArtifact(h)
		if err != nil {
			return nil, err
		}
		out = append(out, inst, flags)
		sl, err := sliceArtifacts(c, h)
		if err != nil {
			return nil, err
		}
		out = append(out, sl...)
	}

	slices.SortStableFunc(out, func(a, b artifact.Artifact) int { return cmp.Compare(a.Path, b.Path) })
	return out, nil
}
