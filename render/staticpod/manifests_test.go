package staticpod

import (
	"bytes"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"

	"kubeforge.dev/kubeforge/compiler/compilertest"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// TestStrictDecoderRejectsUnknownFields proves the decoder the other tests rely on is strict.
func TestStrictDecoderRejectsUnknownFields(t *testing.T) {
	bad := []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {hostNetwrok: true}\n")
	if _, _, err := strictDecoder(t).Decode(bad, nil, nil); err == nil {
		t.Fatal("a misspelled field decoded without error")
	}
}

// TestExamplesDecodeStrictly decodes every manifest of every example host with the official
// scheme and checks what the kubelet relies on.
func TestExamplesDecodeStrictly(t *testing.T) {
	dec := strictDecoder(t)
	for _, ex := range examples {
		c := compilertest.Load(t, ex)
		for _, h := range c.Hosts {
			arts := manifests(t, c, h)
			var names []string
			for _, a := range arts {
				if a.IsDir() {
					continue
				}
				p := decodePod(t, dec, ex+":"+h.Name+":"+a.Path, a.Data)
				names = append(names, p.Name)
				if want := path.Join(compiler.ManifestsDir, p.Name+".yaml"); a.Path != want {
					t.Errorf("%s %s: pod %s written to %s, want %s", ex, h.Name, p.Name, a.Path, want)
				}
				for _, noise := range []string{"status:", "creationTimestamp", "resources: {}", "null"} {
					if bytes.Contains(a.Data, []byte(noise)) {
						t.Errorf("%s %s %s: contains %q", ex, h.Name, a.Path, noise)
					}
				}
				checkPodShape(t, ex+" "+h.Name, p)
			}
			var want []string
			if c.RunsEtcd(h) {
				want = append(want, "etcd")
			}
			if h.Has(compiler.RoleControlPlane) {
				want = append(want, "kube-apiserver", "kube-controller-manager", "kube-scheduler")
			}
			if !slices.Equal(names, want) {
				t.Errorf("%s %s: pods %v, want %v", ex, h.Name, names, want)
			}
		}
	}
}

// checkPodShape checks what every static pod must have: one container, each mount backed by
// a volume with a valid name, sorted volumes and mounts, each flag once, kubeadm's metadata.
func checkPodShape(t *testing.T, where string, p *corev1.Pod) {
	t.Helper()
	where += " " + p.Name
	if p.Namespace != "kube-system" || p.Labels["component"] != p.Name || p.Labels["tier"] != "control-plane" {
		t.Errorf("%s: metadata %v %v", where, p.Namespace, p.Labels)
	}
	s := p.Spec
	if !s.HostNetwork || s.PriorityClassName != "system-node-critical" || s.SecurityContext == nil ||
		s.SecurityContext.SeccompProfile == nil || s.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: hostNetwork, priority class or seccomp missing", where)
	}
	if len(s.Containers) != 1 {
		t.Fatalf("%s: %d containers", where, len(s.Containers))
	}
	ctr := s.Containers[0]
	if ctr.Command[0] != p.Name {
		t.Errorf("%s: command starts with %q", where, ctr.Command[0])
	}
	vols := map[string]bool{}
	var volNames, mountNames []string
	for _, v := range s.Volumes {
		if errs := validation.IsDNS1123Label(v.Name); len(errs) > 0 {
			t.Errorf("%s: volume name %q: %v", where, v.Name, errs)
		}
		if v.HostPath == nil || v.HostPath.Type == nil || !path.IsAbs(v.HostPath.Path) {
			t.Errorf("%s: volume %s is not a typed hostPath", where, v.Name)
		}
		if vols[v.Name] {
			t.Errorf("%s: volume %s twice", where, v.Name)
		}
		vols[v.Name] = true
		volNames = append(volNames, v.Name)
	}
	for _, m := range ctr.VolumeMounts {
		if !vols[m.Name] {
			t.Errorf("%s: mount %s has no volume", where, m.Name)
		}
		mountNames = append(mountNames, m.Name)
	}
	if !slices.IsSorted(volNames) || !slices.IsSorted(mountNames) || len(volNames) != len(mountNames) {
		t.Errorf("%s: volumes %v and mounts %v not sorted or not paired", where, volNames, mountNames)
	}
	for name, vs := range flagValues(p) {
		if len(vs) > 1 {
			t.Errorf("%s: --%s given %d times", where, name, len(vs))
		}
	}
	for _, pr := range []*corev1.Probe{ctr.LivenessProbe, ctr.StartupProbe} {
		if pr == nil || pr.HTTPGet == nil || pr.HTTPGet.Port.StrVal != probePortName {
			t.Errorf("%s: liveness or startup probe missing or not on the probe port", where)
		}
	}
	if len(ctr.Ports) != 1 || ctr.Ports[0].Name != probePortName {
		t.Errorf("%s: ports %v", where, ctr.Ports)
	}
}

// TestDeterministic renders every example twice, from two loads, and wants the same bytes.
func TestDeterministic(t *testing.T) {
	for _, ex := range examples {
		c1, c2 := compilertest.Load(t, ex), compilertest.Load(t, ex)
		for i := range c1.Hosts {
			a1, a2 := manifests(t, c1, c1.Hosts[i]), manifests(t, c2, c2.Hosts[i])
			if len(a1) != len(a2) {
				t.Fatalf("%s %s: %d then %d artifacts", ex, c1.Hosts[i].Name, len(a1), len(a2))
			}
			for j := range a1 {
				if a1[j].Path != a2[j].Path || !bytes.Equal(a1[j].Data, a2[j].Data) || !slices.Equal(a1[j].Sources, a2[j].Sources) {
					t.Errorf("%s %s: %s differs between renders", ex, c1.Hosts[i].Name, a1[j].Path)
				}
			}
		}
	}
}

// TestModesAndSources checks kubeadm's modes (0700 directories, 0600 files), root ownership and
// that every artifact names the description fields it came from.
func TestModesAndSources(t *testing.T) {
	for _, ex := range examples {
		c := compilertest.Load(t, ex)
		for _, h := range c.Hosts {
			arts := manifests(t, c, h)
			if !c.RunsStaticPods(h) {
				if len(arts) != 0 {
					t.Errorf("%s %s: host without static pods got %d artifacts", ex, h.Name, len(arts))
				}
				continue
			}
			if len(arts) < 2 || !arts[0].IsDir() || arts[0].Path != compiler.ManifestsDir || arts[0].Mode != fs.ModeDir|0o700 {
				t.Fatalf("%s %s: first artifact %s %v, want directory %s 0700", ex, h.Name, arts[0].Path, arts[0].Mode, compiler.ManifestsDir)
			}
			for _, a := range arts {
				if a.UID != 0 || a.GID != 0 || a.Secret {
					t.Errorf("%s %s %s: owner %d:%d secret %v", ex, h.Name, a.Path, a.UID, a.GID, a.Secret)
				}
				if len(a.Sources) == 0 {
					t.Errorf("%s %s %s: no sources", ex, h.Name, a.Path)
				}
				if a.IsDir() && a.Mode != fs.ModeDir|0o700 {
					t.Errorf("%s %s %s: mode %v, want a directory 0700", ex, h.Name, a.Path, a.Mode)
				}
				if !a.IsDir() && a.Mode != 0o600 {
					t.Errorf("%s %s %s: mode %v, want 0600", ex, h.Name, a.Path, a.Mode)
				}
				if !a.IsDir() && !strings.HasPrefix(a.Path, compiler.ManifestsDir+"/") {
					t.Errorf("%s %s: %s outside the manifests directory", ex, h.Name, a.Path)
				}
			}
		}
	}
}

// TestPodsMatchManifests checks Pods returns what Manifests writes.
func TestPodsMatchManifests(t *testing.T) {
	c := compilertest.Load(t, "../../examples/ha.yaml")
	h := compilertest.Host(t, c, "cp2")
	pods, err := Pods(c, h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var arts []artifact.Artifact
	for _, a := range manifests(t, c, h) {
		if !a.IsDir() {
			arts = append(arts, a)
		}
	}
	if len(pods) != len(arts) {
		t.Fatalf("%d pods, %d files", len(pods), len(arts))
	}
	for i, p := range pods {
		data, err := encode(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, arts[i].Data) {
			t.Errorf("pod %s differs from %s", p.Name, arts[i].Path)
		}
	}
}

// TestConcurrentRenders renders every host of a cluster at once, as render.Hosts does, and
// wants the bytes of a serial render (run with -race to catch shared state).
func TestConcurrentRenders(t *testing.T) {
	c := compilertest.Load(t, "../../examples/dedicated-etcd.yaml")
	serial := make([][]artifact.Artifact, len(c.Hosts))
	for i, h := range c.Hosts {
		serial[i] = manifests(t, c, h)
	}
	got := make([][]artifact.Artifact, len(c.Hosts))
	errs := make([]error, len(c.Hosts))
	var wg sync.WaitGroup
	for i, h := range c.Hosts {
		wg.Go(func() { got[i], errs[i] = Manifests(c, h, Options{}) })
	}
	wg.Wait()
	for i := range c.Hosts {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		for j := range serial[i] {
			if !bytes.Equal(serial[i][j].Data, got[i][j].Data) {
				t.Errorf("%s: %s differs when rendered concurrently", c.Hosts[i].Name, serial[i][j].Path)
			}
		}
	}
}
