package cis

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// host is what the controls read of one bundle: its artifacts by path, the command lines of
// its static pods and the kubelet's effective settings, all parsed from the rendered bytes.
type host struct {
	name  string
	files map[string]artifact.Artifact
	// runAsUser is the user each static pod's container runs as (root unless its security
	// context says otherwise); a key is present for every static pod of the host.
	runAsUser map[Target]int64
	// args are each static pod's flags (without dashes), the last occurrence winning as in
	// the components' flag parsing.
	args map[Target]map[string]string
	// kubelet is config.yaml, decoded strictly; kubeletArgs the flags of kubeadm-flags.env and
	// the unit's drop-ins, which override it.
	kubelet     *kubeletv1beta1.KubeletConfiguration
	kubeletArgs map[string]string
	// broken records a component whose file does not decode: its controls fail with it.
	broken map[Target]error
}

// staticPods are the manifests kubeforge renders, by the component they run.
var staticPods = []Target{APIServer, ControllerManager, Scheduler, Etcd}

func newHost(b *artifact.Bundle) *host {
	h := &host{name: b.Name, files: map[string]artifact.Artifact{}, runAsUser: map[Target]int64{},
		args: map[Target]map[string]string{}, kubeletArgs: map[string]string{}, broken: map[Target]error{}}
	for _, a := range b.Artifacts {
		h.files[a.Path] = a
	}
	for _, t := range staticPods {
		if a, ok := h.files[manifestPath(t)]; ok {
			if err := h.readPod(t, a.Data); err != nil {
				h.broken[t] = fmt.Errorf("%s: %w", a.Path, err)
			}
		}
	}
	if a, ok := h.files[compiler.KubeletConfigPath]; ok {
		h.kubelet = &kubeletv1beta1.KubeletConfiguration{}
		if err := yaml.UnmarshalStrict(a.Data, h.kubelet); err != nil {
			h.broken[Kubelet] = fmt.Errorf("%s: %w", a.Path, err)
		}
		h.readKubeletArgs()
	}
	return h
}

func manifestPath(t Target) string { return compiler.StaticPodManifestPath(string(t)) }

// readPod decodes a static pod with the official type and keeps its component's container.
func (h *host) readPod(t Target, data []byte) error {
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict(data, &pod); err != nil {
		return err
	}
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		if c.Name != string(t) {
			continue
		}
		h.runAsUser[t] = runAsUser(&pod, c)
		h.args[t] = flagsOf(append(append([]string{}, c.Command...), c.Args...))
		return nil
	}
	return fmt.Errorf("no container named %s", t)
}

// runAsUser returns the user a container runs as: its own security context's, else the pod's,
// else root (the image's user is not known offline; kubeadm's images run as root).
func runAsUser(pod *corev1.Pod, c *corev1.Container) int64 {
	if sc := c.SecurityContext; sc != nil && sc.RunAsUser != nil {
		return *sc.RunAsUser
	}
	if sc := pod.Spec.SecurityContext; sc != nil && sc.RunAsUser != nil {
		return *sc.RunAsUser
	}
	return 0
}

// flagsOf returns the --name=value words of a command line by name; a bare --name is "true".
func flagsOf(words []string) map[string]string {
	out := map[string]string{}
	for _, w := range words {
		name, ok := strings.CutPrefix(w, "--")
		if !ok {
			continue
		}
		name, value, found := strings.Cut(name, "=")
		if !found {
			value = "true"
		}
		out[name] = value
	}
	return out
}

// readKubeletArgs collects the kubelet flags of the unit's drop-ins (Environment= lines) and of
// kubeadm-flags.env. Their values hold no whitespace (kubeforge refuses it), so words are
// flags.
func (h *host) readKubeletArgs() {
	var words []string
	for p, a := range h.files {
		switch {
		case p == compiler.KubeletEnvPath:
			for line := range strings.Lines(string(a.Data)) {
				if _, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(line, "#") {
					words = append(words, strings.Fields(unquoteEnv(v))...)
				}
			}
		case a.Unit == "kubelet.service" && !a.IsDir():
			for line := range strings.Lines(string(a.Data)) {
				if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Environment="); ok {
					if _, v, ok := strings.Cut(strings.Trim(v, `"`), "="); ok {
						words = append(words, strings.Fields(v)...)
					}
				}
			}
		}
	}
	h.kubeletArgs = flagsOf(words)
}

// unquoteEnv reads a value of kubeadm-flags.env: double-quoted, with \ escaping \ " $ and `.
func unquoteEnv(v string) string {
	v = strings.TrimSpace(v)
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return v
	}
	var b strings.Builder
	for i := 1; i < len(v)-1; i++ {
		if v[i] == '\\' && i+1 < len(v)-1 {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// runs reports whether the host runs what t names.
func (h *host) runs(t Target) bool {
	switch t {
	case ClusterBundle:
		return h.name == artifact.ClusterBundle
	case Kubelet:
		return h.name != artifact.ClusterBundle && h.kubelet != nil
	}
	_, ok := h.runAsUser[t]
	return ok || h.broken[t] != nil
}

// arg returns a static pod's flag.
func (h *host) arg(t Target, flag string) (string, bool) {
	v, ok := h.args[t][flag]
	return v, ok
}

// argList returns a comma-separated flag's elements.
func (h *host) argList(t Target, flag string) []string {
	v, ok := h.arg(t, flag)
	if !ok || v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// owner returns a file's owner as uid:gid.
func owner(a artifact.Artifact) string { return strconv.Itoa(a.UID) + ":" + strconv.Itoa(a.GID) }
