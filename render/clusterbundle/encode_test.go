package clusterbundle

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
)

func TestEncodePrunesOnlyWhatMeansNothing(t *testing.T) {
	pod := &corev1.Pod{
		TypeMeta:   coreType("Pod"),
		ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: map[string]string{"role": ""}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "c", Image: "i", Args: []string{""}}},
			Volumes:    []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
		},
	}
	got, err := encodeYAML(pod)
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: v1
kind: Pod
metadata:
  labels:
    role: ""
  name: p
spec:
  containers:
  - args:
    - ""
    image: i
    name: c
  volumes:
  - emptyDir: {}
    name: scratch
`
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// Pointers set to a zero value are choices (failSwapOn: false turns a default true off) and
// must stay; zero values of plain fields are what the decoder reads for an absent field.
func TestEncodeKeepsExplicitZeroPointers(t *testing.T) {
	off := false
	zero := int32(0)
	kc := &kubeletv1beta1.KubeletConfiguration{
		TypeMeta:    metav1.TypeMeta{APIVersion: "kubelet.config.k8s.io/v1beta1", Kind: "KubeletConfiguration"},
		FailSwapOn:  &off,
		HealthzPort: &zero,
		MaxPods:     0,
	}
	kc.Authentication.Anonymous.Enabled = &off
	got, err := encodeYAML(kc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"failSwapOn: false", "healthzPort: 0", "anonymous:\n    enabled: false"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("lost %q:\n%s", want, got)
		}
	}
	for _, noise := range []string{"maxPods", "syncFrequency", "logging", "{}"} {
		if strings.Contains(string(got), noise) {
			t.Errorf("kept %q:\n%s", noise, got)
		}
	}
}
