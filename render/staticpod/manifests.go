package staticpod

import (
	"fmt"
	"path"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// Modes kubeadm gives the manifests directory and files: the manifests name key paths and
// the kubelet is their only reader.
const (
	dirMode  = 0o700
	fileMode = 0o600
	// etcdDataDirMode is what kubeadm creates etcd's data directory with (CIS 1.1.11): the
	// whole keyspace, Secrets included, is in it. Listed in the bundle, it exists with that
	// mode before the kubelet's DirectoryOrCreate would make it 0755.
	etcdDataDirMode = 0o700
)

// staticPod is one rendered pod and the description fields it came from.
type staticPod struct {
	pod     *corev1.Pod
	sources []string
}

// Options are facts the manifests depend on that the description does not hold.
type Options struct {
	// ExternalCA is true when the cluster CA's key is kept outside the PKI store (kubeadm's
	// external CA mode): no host receives ca.key, so nothing may be told to sign with it.
	ExternalCA bool
	// ClusterSigningCert, when set, is the controller-manager's signing certificate instead of
	// ca.crt: while the cluster CA is rotated ca.crt holds two certificates, and the
	// controller-manager takes exactly one.
	ClusterSigningCert string
}

// ControllerManagerFlags returns the controller-manager flags that these options set and
// kubeadm would not: the signing certificate while the cluster CA is rotated. The cluster
// bundle's kubeadm-config carries them too, so that `kubeadm upgrade` regenerates the same
// pod. (An external CA needs nothing there: kubeadm empties the signing flags itself when
// ca.key is absent.)
func (o Options) ControllerManagerFlags() compiler.Args {
	if o.ExternalCA || o.ClusterSigningCert == "" {
		return nil
	}
	return compiler.Args{"cluster-signing-cert-file": o.ClusterSigningCert}
}

// Manifests returns the manifests directory and one file per static pod h runs (etcd.yaml,
// kube-apiserver.yaml, ...), and an etcd member's data directory; nothing for a host without
// static pods.
func Manifests(c *compiler.Cluster, h *compiler.Host, opts Options) ([]artifact.Artifact, error) {
	pods, err := staticPods(c, h, opts)
	if err != nil || len(pods) == 0 {
		return nil, err
	}
	out := []artifact.Artifact{artifact.Dir(compiler.ManifestsDir, dirMode, hostField(h, "roles"), "etcd.topology")}
	for _, p := range pods {
		data, err := encode(p.pod)
		if err != nil {
			return nil, fmt.Errorf("static pod %s of host %s: %w", p.pod.Name, h.Name, err)
		}
		out = append(out, artifact.File(compiler.StaticPodManifestPath(p.pod.Name), fileMode, data, p.sources...).
			Affecting(artifact.KubeletWatches))
	}
	if c.RunsEtcd(h) {
		out = append(out, artifact.Dir(path.Clean(c.Etcd.DataDir), etcdDataDirMode, "etcd.dataDir", "etcd.topology", hostField(h, "roles")))
	}
	return out, nil
}

// Pods returns the static pods h runs, in file name order.
func Pods(c *compiler.Cluster, h *compiler.Host, opts Options) ([]*corev1.Pod, error) {
	pods, err := staticPods(c, h, opts)
	if err != nil {
		return nil, err
	}
	out := make([]*corev1.Pod, len(pods))
	for i, p := range pods {
		out[i] = p.pod
	}
	return out, nil
}

// staticPods builds h's pods: its etcd member if it runs one, the control plane if it is a
// control-plane host.
func staticPods(c *compiler.Cluster, h *compiler.Host, opts Options) ([]staticPod, error) {
	if !c.RunsStaticPods(h) {
		return nil, nil
	}
	if len(h.Addresses) == 0 {
		return nil, fmt.Errorf("static pods of host %s: the host has no address to advertise", h.Name)
	}
	facts, err := factsFor(h)
	if err != nil {
		return nil, err
	}
	common := []string{hostField(h, "roles")}
	var out []staticPod
	add := func(p *corev1.Pod, sources []string) {
		out = append(out, staticPod{pod: p, sources: dedupe(append(slices.Clone(common), sources...))})
	}
	if c.RunsEtcd(h) {
		p, sources, err := etcdPod(c, h)
		if err != nil {
			return nil, fmt.Errorf("etcd static pod of host %s: %w", h.Name, err)
		}
		add(p, sources)
	}
	if h.Has(compiler.RoleControlPlane) {
		add(apiServerPod(c, h))
		for _, lc := range loopbackComponents {
			add(lc.pod(c, h, facts, opts))
		}
	}
	return out, nil
}

// dedupe returns s without repeats, first occurrences kept in order.
func dedupe(s []string) []string {
	var out []string
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
