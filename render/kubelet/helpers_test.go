package kubelet

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	kubeletconfigv1beta1 "k8s.io/kubelet/config/v1beta1"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// examples are the descriptions shipped in examples/, by name.
var examples = map[string]string{
	"ha":             "../../examples/ha.yaml",
	"single-node":    "../../examples/single-node.yaml",
	"dedicated-etcd": "../../examples/dedicated-etcd.yaml",
	"dual-stack":     "../../examples/dual-stack.yaml",
	"large":          "../../examples/large",
}

func loadExample(t *testing.T, name string) *compiler.Cluster {
	t.Helper()
	c, _, diags := compiler.Load(examples[name])
	if diags.HasErrors() {
		t.Fatalf("%s: %v", name, diags)
	}
	return c
}

func render(t *testing.T, c *compiler.Cluster, h *compiler.Host) *artifact.Bundle {
	t.Helper()
	arts, err := Artifacts(c, h)
	if err != nil {
		t.Fatalf("%s: %v", h.Name, err)
	}
	return &artifact.Bundle{Name: h.Name, Artifacts: arts}
}

func lookup(t *testing.T, b *artifact.Bundle, path string) artifact.Artifact {
	t.Helper()
	a, ok := b.Lookup(path)
	if !ok {
		t.Fatalf("%s: no %s", b.Name, path)
	}
	return a
}

// strictDecode decodes a KubeletConfiguration the way the kubelet's own scheme would, refusing
// unknown or duplicate fields, wrong types and a wrong apiVersion or kind.
func strictDecode(t *testing.T, data []byte) *kubeletconfigv1beta1.KubeletConfiguration {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := kubeletconfigv1beta1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	obj, gvk, err := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer().Decode(data, nil, nil)
	if err != nil {
		t.Fatalf("strict decode: %v\n%s", err, data)
	}
	cfg, ok := obj.(*kubeletconfigv1beta1.KubeletConfiguration)
	if !ok || gvk.Kind != "KubeletConfiguration" {
		t.Fatalf("decoded %v (%T), want a KubeletConfiguration", gvk, obj)
	}
	return cfg
}
