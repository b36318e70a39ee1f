package kubelet

import (
	"bytes"
	"testing"

	kubeletconfigv1beta1 "k8s.io/kubelet/config/v1beta1"
)

// TestMarshalCache checks that remembering marshalled configurations changes nothing a caller
// can see: the same configuration gives the same bytes, never the same slice (an artifact
// edited in place must not change another host's), a different one gives its own, and the
// cache stays bounded.
func TestMarshalCache(t *testing.T) {
	cfg := func(maxPods int32) *kubeletconfigv1beta1.KubeletConfiguration {
		return &kubeletconfigv1beta1.KubeletConfiguration{MaxPods: maxPods, ClusterDomain: "cluster.local"}
	}
	a, err := Marshal(cfg(110))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(cfg(110))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) || !bytes.Contains(a, []byte("maxPods: 110\n")) {
		t.Fatalf("the same configuration marshalled twice:\n%s\nthen:\n%s", a, b)
	}
	a[0], b[0] = '#', '#' // the first result was stored, the second came from the store
	if c, _ := Marshal(cfg(110)); c[0] == '#' {
		t.Fatal("an edit of one result changed the next")
	}
	if c, _ := Marshal(cfg(250)); !bytes.Contains(c, []byte("maxPods: 250\n")) {
		t.Fatalf("another configuration got another's bytes:\n%s", c)
	}
	for i := range 3 * yamlCacheSize {
		if _, err := Marshal(cfg(int32(i + 1))); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(marshalled.m); n > yamlCacheSize {
		t.Errorf("cache holds %d configurations, more than %d", n, yamlCacheSize)
	}
}
