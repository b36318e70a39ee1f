package staticpod

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

var examples = []string{
	"../../examples/ha.yaml",
	"../../examples/single-node.yaml",
	"../../examples/dedicated-etcd.yaml",
	"../../examples/dual-stack.yaml",
}

// atVersion returns a description with kubernetesVersion set, for the same cluster at
// several minors.
func atVersion(yaml, version string) string {
	return "kubernetesVersion: \"" + version + "\"\n" + yaml
}

// manifests returns h's artifacts, failing the test on error.
func manifests(t *testing.T, c *compiler.Cluster, h *compiler.Host) []artifact.Artifact {
	t.Helper()
	arts, err := Manifests(c, h, Options{})
	if err != nil {
		t.Fatalf("Manifests(%s): %v", h.Name, err)
	}
	return arts
}

// strictDecoder returns the official decoder for core/v1, refusing unknown and duplicate
// fields.
func strictDecoder(t *testing.T) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}

// decodePod decodes a manifest strictly into a Pod.
func decodePod(t *testing.T, dec runtime.Decoder, name string, data []byte) *corev1.Pod {
	t.Helper()
	obj, gvk, err := dec.Decode(data, nil, nil)
	if err != nil {
		t.Fatalf("%s: strict decode: %v", name, err)
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok || gvk.Group != "" || gvk.Version != "v1" || gvk.Kind != "Pod" {
		t.Fatalf("%s: decoded %v as %T, want a v1 Pod", name, gvk, obj)
	}
	return pod
}

// podsOf returns h's pods by name, through the bytes written to disk.
func podsOf(t *testing.T, c *compiler.Cluster, h *compiler.Host) map[string]*corev1.Pod {
	t.Helper()
	dec := strictDecoder(t)
	out := map[string]*corev1.Pod{}
	for _, a := range manifests(t, c, h) {
		if a.IsDir() {
			continue
		}
		p := decodePod(t, dec, a.Path, a.Data)
		out[p.Name] = p
	}
	return out
}

// pod returns the named pod of h, failing if h does not run it.
func pod(t *testing.T, c *compiler.Cluster, h *compiler.Host, name string) *corev1.Pod {
	t.Helper()
	p, ok := podsOf(t, c, h)[name]
	if !ok {
		t.Fatalf("host %s has no %s pod", h.Name, name)
	}
	return p
}

// flagValues returns the values of each --name=value flag of the pod's container, in order.
func flagValues(p *corev1.Pod) map[string][]string {
	out := map[string][]string{}
	for _, arg := range p.Spec.Containers[0].Command[1:] {
		name, value, _ := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		out[name] = append(out[name], value)
	}
	return out
}

// flagValue returns the single value of a flag; "" and false when absent.
func flagValue(t *testing.T, p *corev1.Pod, name string) (string, bool) {
	t.Helper()
	vs := flagValues(p)[name]
	switch len(vs) {
	case 0:
		return "", false
	case 1:
		return vs[0], true
	}
	t.Fatalf("%s: --%s given %d times: %q", p.Name, name, len(vs), vs)
	return "", false
}

// wantFlag fails unless the pod's flag has exactly the value want.
func wantFlag(t *testing.T, p *corev1.Pod, name, want string) {
	t.Helper()
	got, ok := flagValue(t, p, name)
	if !ok {
		t.Errorf("%s: no --%s, want %q", p.Name, name, want)
	} else if got != want {
		t.Errorf("%s: --%s=%q, want %q", p.Name, name, got, want)
	}
}

// noFlag fails if the pod has the flag.
func noFlag(t *testing.T, p *corev1.Pod, name string) {
	t.Helper()
	if v, ok := flagValue(t, p, name); ok {
		t.Errorf("%s: unexpected --%s=%s", p.Name, name, v)
	}
}

// volume returns the pod's volume and its container mount for a host path.
func volume(p *corev1.Pod, hostPath string) (*corev1.Volume, *corev1.VolumeMount) {
	for i, v := range p.Spec.Volumes {
		if v.HostPath == nil || v.HostPath.Path != hostPath {
			continue
		}
		for j, m := range p.Spec.Containers[0].VolumeMounts {
			if m.Name == v.Name {
				return &p.Spec.Volumes[i], &p.Spec.Containers[0].VolumeMounts[j]
			}
		}
		return &p.Spec.Volumes[i], nil
	}
	return nil, nil
}
