package clusterbundle

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// applyOrder writes a bundle to a directory and returns its files in the order
// `kubectl apply -f DIR --recursive` visits them (a lexical walk).
func applyOrder(t *testing.T, arts []artifact.Artifact) []string {
	t.Helper()
	root := t.TempDir()
	for _, a := range arts {
		p := filepath.Join(root, filepath.FromSlash(a.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, a.Data, a.Mode); err != nil {
			t.Fatal(err)
		}
	}
	var order []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			order = append(order, "/"+filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator))))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return order
}

// systemNamespaces are created by the apiserver itself before anything can be applied.
var systemNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

// TestApplyOrderIsSafe walks the bundle as kubectl does and checks that nothing comes before
// what it needs: namespaced objects after their Namespace, RBAC and ConfigMaps before any
// workload, and each workload after its ServiceAccount and the ConfigMaps it mounts.
func TestApplyOrderIsSafe(t *testing.T) {
	forEachCluster(t, func(t *testing.T, c *compiler.Cluster) {
		arts := render(t, c)
		d := decodeBundle(t, arts)
		order := applyOrder(t, arts)
		if len(order) != len(arts) {
			t.Fatalf("walk found %d files, bundle has %d", len(order), len(arts))
		}
		applied := map[string]bool{} // kind/namespace/name
		key := func(kind, ns, name string) string { return kind + "/" + ns + "/" + name }
		firstWorkload := -1
		for i, p := range order {
			obj := d.objects[p]
			meta := obj.(metav1.Object)
			kind := obj.GetObjectKind().GroupVersionKind().Kind
			if ns := meta.GetNamespace(); ns != "" && !slices.Contains(systemNamespaces, ns) && !applied[key("Namespace", "", ns)] {
				t.Errorf("%s: namespace %s not created before", p, ns)
			}
			var spec *corev1.PodSpec
			switch o := obj.(type) {
			case *appsv1.DaemonSet:
				spec = &o.Spec.Template.Spec
			case *appsv1.Deployment:
				spec = &o.Spec.Template.Spec
			}
			if spec != nil {
				if firstWorkload < 0 {
					firstWorkload = i
				}
				if sa := spec.ServiceAccountName; sa != "" && !applied[key("ServiceAccount", meta.GetNamespace(), sa)] {
					t.Errorf("%s: ServiceAccount %s not applied before", p, sa)
				}
				for _, v := range spec.Volumes {
					if v.ConfigMap != nil && !applied[key("ConfigMap", meta.GetNamespace(), v.ConfigMap.Name)] {
						t.Errorf("%s: ConfigMap %s not applied before", p, v.ConfigMap.Name)
					}
				}
			}
			if firstWorkload >= 0 && isRBACOrConfig(kind) {
				t.Errorf("%s: %s applied after the workload %s", p, kind, order[firstWorkload])
			}
			applied[key(kind, meta.GetNamespace(), meta.GetName())] = true
		}
		if c.Addons.KubeProxy && firstWorkload < 0 {
			t.Error("no workload found")
		}
	})
}

func isRBACOrConfig(kind string) bool {
	return slices.Contains([]string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ConfigMap"}, kind)
}

// TestLayout checks the file names: sorted, under a numbered section, named after their
// object, unique, and in the order Artifacts returns them.
func TestLayout(t *testing.T) {
	forEachCluster(t, func(t *testing.T, c *compiler.Cluster) {
		arts := render(t, c)
		d := decodeBundle(t, arts)
		if !slices.IsSortedFunc(arts, func(a, b artifact.Artifact) int { return strings.Compare(a.Path, b.Path) }) {
			t.Error("artifacts not sorted by path")
		}
		if got := applyOrder(t, arts); !slices.Equal(got, d.order) {
			t.Errorf("kubectl's walk order differs from the artifacts' order:\n%v\n%v", got, d.order)
		}
		for _, p := range d.order {
			obj := d.objects[p]
			kind := strings.ToLower(obj.GetObjectKind().GroupVersionKind().Kind)
			name := fileName(obj.(metav1.Object).GetName())
			dir, file := filepath.Split(p)
			if !slices.Contains([]string{"/00-rbac/", "/10-config/", "/20-nodes/", "/30-addons/"}, dir) {
				t.Errorf("%s: unknown section %s", p, dir)
			}
			if !strings.HasSuffix(file, "-"+kind+"-"+name+".yaml") {
				t.Errorf("%s: file name does not say %s %s", p, kind, name)
			}
		}
	})
}

// TestByteIdentical renders each cluster several times (map iteration differs each time)
// and wants the same bytes, paths, modes and sources.
func TestByteIdentical(t *testing.T) {
	forEachCluster(t, func(t *testing.T, c *compiler.Cluster) {
		first := render(t, c)
		for range 3 {
			again := render(t, c)
			if len(again) != len(first) {
				t.Fatalf("%d artifacts, then %d", len(first), len(again))
			}
			for i := range first {
				a, b := first[i], again[i]
				if a.Path != b.Path || a.Mode != b.Mode || !bytes.Equal(a.Data, b.Data) || !slices.Equal(a.Sources, b.Sources) {
					t.Fatalf("%s differs between renders:\n%s\n---\n%s", a.Path, a.Data, b.Data)
				}
			}
		}
	})
}

// TestNoNoise wants no empty fields that mean nothing in any manifest or embedded file.
func TestNoNoise(t *testing.T) {
	forEachCluster(t, func(t *testing.T, c *compiler.Cluster) {
		for _, a := range render(t, c) {
			for _, noise := range []string{"creationTimestamp", "status:", ": {}", ": null", ": 0s"} {
				if bytes.Contains(a.Data, []byte(noise)) {
					t.Errorf("%s holds %q:\n%s", a.Path, noise, a.Data)
				}
			}
		}
	})
}
