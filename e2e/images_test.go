//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/yaml"
)

// imageTool builds the images from the real binaries (a module of its own, relative to this
// package).
const imageTool = "tools/images"

// toolboxImage is the suite's image for its test pod: busybox applets and curl (built by the
// image tool's toolbox recipe).
const toolboxImage = "kubeforge.dev/kubeforge-e2e/toolbox:1"

// workload is a pod template of the cluster bundle (a DaemonSet or a Deployment).
type workload struct {
	kind, name string
	spec       corev1.PodSpec
}

// workloadDecoder decodes the bundle's DaemonSets and Deployments strictly.
var workloadDecoder = func() runtime.Decoder {
	scheme := runtime.NewScheme()
	if err := appsv1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}()

// bundleWorkloads returns the DaemonSets and Deployments of the cluster bundle.
func (s *suite) bundleWorkloads(t *testing.T) []workload {
	t.Helper()
	var out []workload
	err := filepath.WalkDir(filepath.Join(s.out, clusterBundleDir), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, doc := range bytes.Split(data, []byte("\n---\n")) {
			var meta struct{ Kind string }
			if err := yaml.Unmarshal(doc, &meta); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			if meta.Kind != "DaemonSet" && meta.Kind != "Deployment" {
				continue
			}
			obj, _, err := workloadDecoder.Decode(doc, nil, nil)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			switch o := obj.(type) {
			case *appsv1.DaemonSet:
				out = append(out, workload{kind: "DaemonSet", name: o.Name, spec: o.Spec.Template.Spec})
			case *appsv1.Deployment:
				out = append(out, workload{kind: "Deployment", name: o.Name, spec: o.Spec.Template.Spec})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// podImages returns the images a pod's containers run.
func podImages(spec corev1.PodSpec) []string {
	var refs []string
	for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
		refs = append(refs, c.Image)
	}
	return refs
}

// hostPathUse is a hostPath volume as a pod's containers use it.
type hostPathUse struct {
	path     string
	file     bool // a file rather than a directory
	readOnly bool // every container mounts it read-only
}

// hostPathUses returns the hostPath volumes of a pod.
func hostPathUses(spec corev1.PodSpec) []hostPathUse {
	var uses []hostPathUse
	for _, v := range spec.Volumes {
		if v.HostPath == nil {
			continue
		}
		typ := corev1.HostPathUnset
		if v.HostPath.Type != nil {
			typ = *v.HostPath.Type
		}
		u := hostPathUse{path: filepath.Clean(v.HostPath.Path), readOnly: true,
			file: typ == corev1.HostPathFile || typ == corev1.HostPathFileOrCreate}
		for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
			for _, m := range c.VolumeMounts {
				if m.Name == v.Name && !m.ReadOnly {
					u.readOnly = false
				}
			}
		}
		uses = append(uses, u)
	}
	return uses
}

// buildImages builds (or finds cached) the images refs name with the image tool and returns
// each reference's docker archive.
func (s *suite) buildImages(t *testing.T, refs []string) map[string]string {
	t.Helper()
	slices.Sort(refs)
	refs = slices.Compact(refs)
	began := time.Now()
	args := []string{"run", ".", "-bin", s.binDir}
	if s.conformanceBin != "" {
		args = append(args, "-conformance-bin", s.conformanceBin)
	}
	cmd := exec.CommandContext(s.ctx, "go", append(args, refs...)...)
	cmd.Dir = imageTool
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", imageTool, err, tail(stderr.String(), 40))
	}
	archives := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		ref, archive, ok := strings.Cut(line, " ")
		if ok {
			archives[ref] = archive
		}
	}
	for _, ref := range refs {
		if archives[ref] == "" {
			t.Fatalf("%s built no archive for %s:\n%s", imageTool, ref, out)
		}
	}
	if msg := strings.TrimSpace(stderr.String()); msg != "" {
		t.Log(msg)
	}
	t.Logf("%d images from the real binaries ready in %s: %v", len(refs), time.Since(began).Round(time.Second), refs)
	return archives
}
