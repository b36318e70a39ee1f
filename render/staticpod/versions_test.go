package staticpod

import (
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler/compilertest"

	corev1 "k8s.io/api/core/v1"

	"kubeforge.dev/kubeforge/compiler"
)

const versionedYAML = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: minors
networking: {podSubnets: [10.244.0.0/16]}
hosts:
  - {name: cp1, addresses: [192.168.3.10], roles: [control-plane]}
`

// TestMinorDifferences renders one cluster at each supported minor and checks what kubeadm
// of that minor does differently, and that nothing else differs.
func TestMinorDifferences(t *testing.T) {
	want := map[string]struct {
		etcdTag    string
		flexVolume bool
	}{
		"1.35": {"3.6.6-0", true},
		"1.36": {"3.6.8-0", false},
		"1.37": {"3.7.0-0", false},
	}
	commands := map[string][]string{} // component -> command at the first minor
	for _, minor := range []string{"1.35", "1.36", "1.37"} {
		w := want[minor]
		c := compilertest.LoadYAML(t, atVersion(versionedYAML, minor))
		pods := podsOf(t, c, compilertest.Host(t, c, "cp1"))

		etcd := pods["etcd"]
		if img := etcd.Spec.Containers[0].Image; img != "registry.k8s.io/etcd:"+w.etcdTag {
			t.Errorf("%s: etcd image %s, want tag %s", minor, img, w.etcdTag)
		}
		// Every supported minor ships etcd 3.6 or later: the non-experimental spellings.
		wantFlag(t, etcd, "feature-gates", "InitialCorruptCheck=true")
		wantFlag(t, etcd, "watch-progress-notify-interval", "5s")
		noFlag(t, etcd, "experimental-initial-corrupt-check")
		noFlag(t, etcd, "experimental-watch-progress-notify-interval")

		cm := pods["kube-controller-manager"]
		v, m := volume(cm, compiler.FlexVolumePluginDir)
		if (v != nil) != w.flexVolume {
			t.Errorf("%s: flexvolume volume present %v, want %v", minor, v != nil, w.flexVolume)
		}
		if v != nil && (v.Name != "flexvolume-dir" || m == nil || m.ReadOnly || *v.HostPath.Type != corev1.HostPathDirectoryOrCreate) {
			t.Errorf("%s: flexvolume volume %+v mount %+v", minor, v, m)
		}
		for name, p := range pods {
			img := p.Spec.Containers[0].Image
			if name != "etcd" && !strings.HasSuffix(img, ":"+c.Version.String()) {
				t.Errorf("%s: %s image %s", minor, name, img)
			}
			cmd := p.Spec.Containers[0].Command
			if first, ok := commands[name]; !ok {
				commands[name] = cmd
			} else if !slices.Equal(first, cmd) {
				t.Errorf("%s: %s command differs from 1.35's:\n%q\n%q", minor, name, cmd, first)
			}
		}
	}
}

// TestFlexVolumeDirFlag: kubeadm 1.35 mounts the directory the user's flag names; later
// minors mount it because the flag names a directory the controller-manager writes.
func TestFlexVolumeDirFlag(t *testing.T) {
	for _, minor := range []string{"1.35", "1.37"} {
		c := compilertest.LoadYAML(t, atVersion(versionedYAML, minor))
		c.ControllerManager.ExtraArgs = compiler.Args{"flex-volume-plugin-dir": "/opt/flex"}
		cm := pod(t, c, compilertest.Host(t, c, "cp1"), "kube-controller-manager")
		v, m := volume(cm, "/opt/flex")
		if v == nil || m == nil || m.ReadOnly {
			t.Errorf("%s: /opt/flex not mounted writable", minor)
		}
		if v, _ := volume(cm, compiler.FlexVolumePluginDir); v != nil {
			t.Errorf("%s: default flexvolume dir mounted next to the user's", minor)
		}
	}
}

// TestEtcdFlagsFollowTheRow: the etcd flags whose spelling depends on the etcd release are
// the row's, whatever they are (an etcd before 3.6 took the --experimental-* spellings).
func TestEtcdFlagsFollowTheRow(t *testing.T) {
	c := compilertest.LoadYAML(t, versionedYAML)
	h := compilertest.Host(t, c, "cp1")
	h.Release.EtcdFlags = map[string]string{
		"experimental-initial-corrupt-check":          "true",
		"experimental-watch-progress-notify-interval": "5s",
	}
	etcd := pod(t, c, h, "etcd")
	wantFlag(t, etcd, "experimental-initial-corrupt-check", "true")
	wantFlag(t, etcd, "experimental-watch-progress-notify-interval", "5s")
	noFlag(t, etcd, "feature-gates")
	noFlag(t, etcd, "watch-progress-notify-interval")
}

// TestRowOfAnotherMinorIsRefused: a host whose Release is not the row of its version is an
// error rather than a guess.
func TestRowOfAnotherMinorIsRefused(t *testing.T) {
	c := compilertest.LoadYAML(t, versionedYAML)
	h := compilertest.Host(t, c, "cp1")
	h.Version.Minor = 99
	if _, err := Manifests(c, h, Options{}); err == nil {
		t.Error("a minor without its row rendered without error")
	}
}

// TestHostVersionDrivesItsPods: a control-plane host at another version than the cluster's
// runs the images and takes the manifest details of its own row, and the pods name the
// host's kubernetesVersion as their source.
func TestHostVersionDrivesItsPods(t *testing.T) {
	c := compilertest.LoadYAML(t, strings.Replace(atVersion(versionedYAML, "1.35"),
		"{name: cp1, ", `{name: cp1, kubernetesVersion: "1.36", `, 1))
	h := compilertest.Host(t, c, "cp1")
	if c.Version.Minor != 35 || h.Version.Minor != 36 {
		t.Fatalf("cluster %s, host %s", c.Version, h.Version)
	}
	manifests, err := Manifests(c, h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range manifests {
		if !strings.HasSuffix(a.Path, ".yaml") {
			continue // directories
		}
		if !slices.Contains(a.Sources, "hosts[0].kubernetesVersion") || slices.Contains(a.Sources, "kubernetesVersion") {
			t.Errorf("%s: sources %v", a.Path, a.Sources)
		}
	}
	for _, name := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
		if img := pod(t, c, h, name).Spec.Containers[0].Image; !strings.HasSuffix(img, ":"+h.Version.String()) {
			t.Errorf("%s: image %s, want the host's %s", name, img, h.Version)
		}
	}
	if img := pod(t, c, h, "etcd").Spec.Containers[0].Image; !strings.HasSuffix(img, ":"+h.Release.EtcdImageTag) {
		t.Errorf("etcd: image %s, want the tag of 1.36's row %s", img, h.Release.EtcdImageTag)
	}
	// 1.35 mounts the flexvolume directory into the controller-manager, 1.36 does not.
	for _, v := range pod(t, c, h, "kube-controller-manager").Spec.Volumes {
		if v.HostPath != nil && v.HostPath.Path == compiler.FlexVolumePluginDir {
			t.Error("the 1.35 cluster's flexvolume mount on a 1.36 host")
		}
	}
}
