package clusterbundle

import (
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/kubeconfig"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	proxyv1alpha1 "k8s.io/kube-proxy/config/v1alpha1"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// strictDecoder returns a decoder that fails on unknown fields, duplicate keys, wrong types
// and unknown apiVersion/kind, for the given API groups.
func strictDecoder(t *testing.T, adders ...func(*runtime.Scheme) error) runtime.Decoder {
	t.Helper()
	s := runtime.NewScheme()
	for _, add := range adders {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	return serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer()
}

// decoded is a bundle decoded with the official types.
type decoded struct {
	objects map[string]runtime.Object // by path
	order   []string
}

// decodeBundle strictly decodes every manifest of a bundle, and every configuration a
// ConfigMap embeds, failing the test on any error.
func decodeBundle(t *testing.T, arts []artifact.Artifact) decoded {
	t.Helper()
	api := strictDecoder(t, corev1.AddToScheme, rbacv1.AddToScheme, appsv1.AddToScheme)
	out := decoded{objects: map[string]runtime.Object{}}
	for _, a := range arts {
		obj, _, err := api.Decode(a.Data, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v\n%s", a.Path, err, a.Data)
		}
		if cm, ok := obj.(*corev1.ConfigMap); ok {
			decodeEmbedded(t, a.Path, cm)
		}
		out.objects[a.Path] = obj
		out.order = append(out.order, a.Path)
	}
	return out
}

// decodeEmbedded strictly decodes the configuration files a ConfigMap carries.
func decodeEmbedded(t *testing.T, path string, cm *corev1.ConfigMap) {
	t.Helper()
	kubeletDec := strictDecoder(t, kubeletv1beta1.AddToScheme)
	proxyDec := strictDecoder(t, proxyv1alpha1.AddToScheme)
	for key, text := range cm.Data {
		var err error
		switch cm.Namespace + "/" + cm.Name + ":" + key {
		case "kube-system/kubeadm-config:ClusterConfiguration":
			_, err = decodeClusterConfiguration([]byte(text))
		case "kube-system/kubelet-config:kubelet":
			var obj runtime.Object
			obj, _, err = kubeletDec.Decode([]byte(text), nil, nil)
			if _, ok := obj.(*kubeletv1beta1.KubeletConfiguration); err == nil && !ok {
				t.Errorf("%s: %s holds a %T", path, key, obj)
			}
		case "kube-system/kube-proxy:config.conf":
			var obj runtime.Object
			obj, _, err = proxyDec.Decode([]byte(text), nil, nil)
			if _, ok := obj.(*proxyv1alpha1.KubeProxyConfiguration); err == nil && !ok {
				t.Errorf("%s: %s holds a %T", path, key, obj)
			}
		case "kube-system/kube-proxy:kubeconfig.conf", "kube-public/cluster-info:kubeconfig":
			_, err = decodeKubeconfig([]byte(text))
		case "kube-system/coredns:Corefile":
			if !strings.HasPrefix(text, ".:53 {") {
				t.Errorf("%s: Corefile does not start with the root zone: %q", path, text)
			}
		default:
			t.Errorf("%s: no decoder for key %s of ConfigMap %s/%s", path, key, cm.Namespace, cm.Name)
		}
		if err != nil {
			t.Errorf("%s: key %s: %v\n%s", path, key, err, text)
		}
	}
}

// decodeClusterConfiguration strictly decodes a ClusterConfiguration, checking its version.
func decodeClusterConfiguration(data []byte) (*clusterConfiguration, error) {
	var cc clusterConfiguration
	if err := yaml.UnmarshalStrict(data, &cc); err != nil {
		return nil, err
	}
	if cc.APIVersion != "kubeadm.k8s.io/v1beta4" || cc.Kind != "ClusterConfiguration" {
		return nil, &wrongKind{cc.APIVersion, cc.Kind}
	}
	return &cc, nil
}

// decodeKubeconfig strictly decodes a kubeconfig.
func decodeKubeconfig(data []byte) (*kubeconfig.Config, error) {
	var kc kubeconfig.Config
	if err := yaml.UnmarshalStrict(data, &kc); err != nil {
		return nil, err
	}
	if kc.APIVersion != "v1" || kc.Kind != "Config" {
		return nil, &wrongKind{kc.APIVersion, kc.Kind}
	}
	return &kc, nil
}

type wrongKind struct{ apiVersion, kind string }

func (w *wrongKind) Error() string { return "unexpected " + w.apiVersion + " " + w.kind }

func TestEveryManifestDecodesStrictly(t *testing.T) {
	forEachCluster(t, func(t *testing.T, c *compiler.Cluster) {
		arts := render(t, c)
		d := decodeBundle(t, arts)
		if len(d.objects) == 0 {
			t.Fatal("empty bundle")
		}
		for _, a := range arts {
			if a.Mode != 0o644 || a.Secret || a.IsDir() {
				t.Errorf("%s: mode %v secret %v: want a plain 0644 file", a.Path, a.Mode, a.Secret)
			}
		}
	})
}

// The decoder the tests rely on must reject what the apiserver would: an unknown field, a
// wrong type, a duplicate key.
func TestStrictDecoderRejectsBadManifests(t *testing.T) {
	c := compilertest.Load(t, "../../examples/ha.yaml")
	var ds []byte
	for _, a := range render(t, c) {
		if strings.HasSuffix(a.Path, "-daemonset-kube-proxy.yaml") {
			ds = a.Data
		}
	}
	if ds == nil {
		t.Fatal("no kube-proxy DaemonSet")
	}
	api := strictDecoder(t, corev1.AddToScheme, rbacv1.AddToScheme, appsv1.AddToScheme)
	for name, bad := range map[string]string{
		"unknown field": strings.Replace(string(ds), "hostNetwork: true", "hostNetwork: true\n      hostNetwrk: true", 1),
		"wrong type":    strings.Replace(string(ds), "hostNetwork: true", "hostNetwork: yes please", 1),
		"duplicate key": strings.Replace(string(ds), "hostNetwork: true", "hostNetwork: true\n      hostNetwork: false", 1),
		"unknown kind":  strings.Replace(string(ds), "kind: DaemonSet", "kind: DaemonSett", 1),
		"wrong version": strings.Replace(string(ds), "apiVersion: apps/v1", "apiVersion: apps/v1beta9", 1),
	} {
		if bad == string(ds) {
			t.Fatalf("%s: the mutation did not apply", name)
		}
		if _, _, err := api.Decode([]byte(bad), nil, nil); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	if _, err := decodeClusterConfiguration([]byte("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworkin: {}\n")); err == nil {
		t.Error("ClusterConfiguration with an unknown field decoded without error")
	}
}

// kubeletConfigOf returns the KubeletConfiguration of a decoded bundle's kubelet-config.
func kubeletConfigOf(t *testing.T, d decoded) *kubeletv1beta1.KubeletConfiguration {
	t.Helper()
	dec := strictDecoder(t, kubeletv1beta1.AddToScheme)
	for _, p := range d.order {
		if cm, ok := d.objects[p].(*corev1.ConfigMap); ok && cm.Name == "kubelet-config" {
			obj, _, err := dec.Decode([]byte(cm.Data["kubelet"]), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			return obj.(*kubeletv1beta1.KubeletConfiguration)
		}
	}
	t.Fatal("no kubelet-config ConfigMap")
	return nil
}
