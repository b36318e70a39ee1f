//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"kubeforge.dev/kubeforge/compiler"
)

// staticPod is a manifest of a host's bundle, decoded strictly with the official types.
type staticPod struct {
	host *simHost
	file string // on this machine
	pod  *corev1.Pod
}

// name returns "host/pod" for messages and log names.
func (sp staticPod) name() string { return sp.host.name + "/" + sp.pod.Name }

// container returns the pod's only container; static pods of kubeadm have exactly one.
func (sp staticPod) container() (*corev1.Container, error) {
	if len(sp.pod.Spec.Containers) != 1 || len(sp.pod.Spec.InitContainers) != 0 {
		return nil, fmt.Errorf("%s: the suite runs pods of one container, this one has %d (+%d init)",
			sp.file, len(sp.pod.Spec.Containers), len(sp.pod.Spec.InitContainers))
	}
	return &sp.pod.Spec.Containers[0], nil
}

var podDecoder = func() runtime.Decoder {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}()

// staticPods returns the manifests in h's bundle, in file name order.
func staticPods(h *simHost) ([]staticPod, error) {
	files, err := filepath.Glob(filepath.Join(h.path(compiler.ManifestsDir), "*.yaml"))
	if err != nil {
		return nil, err
	}
	var out []staticPod
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		obj, _, err := podDecoder.Decode(data, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		pod, ok := obj.(*corev1.Pod)
		if !ok {
			return nil, fmt.Errorf("%s: a %T, not a Pod", f, obj)
		}
		out = append(out, staticPod{host: h, file: f, pod: pod})
	}
	return out, nil
}

// podCommand returns the command that runs sp's container as a plain process of its host:
// the container's command and args exactly as written (the program resolved in the real
// binaries' directory, as an image's PATH would), its environment, and every hostPath volume
// it mounts bind-mounted at its mountPath.
func (s *suite) podCommand(sp staticPod) ([]string, []bind, []string, error) {
	ctr, err := sp.container()
	if err != nil {
		return nil, nil, nil, err
	}
	argv := append(append([]string(nil), ctr.Command...), ctr.Args...)
	if len(argv) == 0 {
		return nil, nil, nil, fmt.Errorf("%s: container %s has no command", sp.file, ctr.Name)
	}
	prog := filepath.Join(s.binDir, filepath.Base(argv[0]))
	if _, err := os.Stat(prog); err != nil {
		return nil, nil, nil, fmt.Errorf("%s: command %s: no real binary %s", sp.file, argv[0], prog)
	}
	argv[0] = prog
	var env []string
	for _, e := range ctr.Env {
		if e.ValueFrom != nil {
			return nil, nil, nil, fmt.Errorf("%s: env %s uses valueFrom, which a static pod cannot resolve", sp.file, e.Name)
		}
		env = append(env, e.Name+"="+e.Value)
	}
	binds, err := s.volumeBinds(sp, ctr)
	if err != nil {
		return nil, nil, nil, err
	}
	return argv, binds, env, nil
}

// volumeBinds maps each volumeMount of ctr to a bind of its hostPath volume.
func (s *suite) volumeBinds(sp staticPod, ctr *corev1.Container) ([]bind, error) {
	vols := map[string]corev1.Volume{}
	for _, v := range sp.pod.Spec.Volumes {
		vols[v.Name] = v
	}
	var binds []bind
	for _, m := range ctr.VolumeMounts {
		v, ok := vols[m.Name]
		if !ok {
			return nil, fmt.Errorf("%s: volumeMount %s names no volume", sp.file, m.Name)
		}
		if v.HostPath == nil {
			return nil, fmt.Errorf("%s: volume %s is not a hostPath; a static pod's volumes are", sp.file, m.Name)
		}
		if m.SubPath != "" || m.SubPathExpr != "" {
			return nil, fmt.Errorf("%s: volumeMount %s uses subPath, which the suite does not map", sp.file, m.Name)
		}
		src, err := s.hostPathSource(sp.host, v.HostPath)
		if err != nil {
			return nil, fmt.Errorf("%s: volume %s: %w", sp.file, m.Name, err)
		}
		if src == m.MountPath {
			continue // this machine's own path, already where the container expects it
		}
		binds = append(binds, bind{src: src, dst: m.MountPath, readOnly: m.ReadOnly})
	}
	return binds, nil
}

// hostPathSource returns where a hostPath of h is on this machine: in h's bundle when the
// bundle has it; else this machine's own path (the operating system's files a node has,
// such as /etc/ssl/certs); else created in the bundle, as the kubelet creates
// DirectoryOrCreate and FileOrCreate paths. Any other type must already exist.
func (s *suite) hostPathSource(h *simHost, hp *corev1.HostPathVolumeSource) (string, error) {
	inBundle := h.path(hp.Path)
	if _, err := os.Stat(inBundle); err == nil {
		return inBundle, nil
	}
	if _, err := os.Stat(hp.Path); err == nil && !s.mounts.createdByUs(hp.Path) && !s.mountedPath(hp.Path) {
		return hp.Path, nil
	}
	typ := corev1.HostPathUnset
	if hp.Type != nil {
		typ = *hp.Type
	}
	switch typ {
	case corev1.HostPathUnset, corev1.HostPathDirectoryOrCreate:
		return inBundle, os.MkdirAll(inBundle, 0o755)
	case corev1.HostPathFileOrCreate:
		if err := os.MkdirAll(filepath.Dir(inBundle), 0o755); err != nil {
			return "", err
		}
		return inBundle, os.WriteFile(inBundle, nil, 0o644)
	}
	return "", fmt.Errorf("hostPath %s (type %s) exists neither in host %s's bundle nor on the machine", hp.Path, typ, h.name)
}

// mountedPath reports whether p lies inside a directory the suite made as a mountpoint for
// bundles (e.g. /etc/kubernetes): what is there on this machine is not the machine's own.
func (s *suite) mountedPath(p string) bool {
	for dir := p; dir != "/" && dir != "."; dir = filepath.Dir(dir) {
		if s.mounts.createdByUs(dir) {
			return true
		}
	}
	return false
}

// containerPort returns the number of ctr's port named name.
func containerPort(ctr *corev1.Container, name string) (int, error) {
	for _, p := range ctr.Ports {
		if p.Name == name {
			return int(p.ContainerPort), nil
		}
	}
	return 0, errors.New("no container port named " + name)
}

// flagValue returns the value of --name=value in a command line.
func flagValue(argv []string, name string) (string, bool) {
	for _, a := range argv {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}
