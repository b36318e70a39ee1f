package kubelet

import (
	"fmt"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
)

func reservedCgroupsCluster(driver, kubeCgroup, systemCgroup string) string {
	return fmt.Sprintf(`
apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
containerRuntime: {cgroupDriver: %s}
kubelet:
  kubeReserved: {cpu: 500m, memory: 1Gi}
  systemReserved: {cpu: 250m, memory: 512Mi}
  kubeReservedCgroup: %s
  systemReservedCgroup: %s
  enforceNodeAllocatable: [pods, kube-reserved, system-reserved]
hosts:
  - {name: n1, addresses: [10.0.0.1], roles: [control-plane, worker]}
`, driver, kubeCgroup, systemCgroup)
}

func TestReservedCgroupSlices(t *testing.T) {
	dropIn := compiler.KubeletDropInDir + "/12-reserved-cgroups.conf"
	for _, tc := range []struct {
		name, driver, kube, system string
		// What the KubeletConfiguration names, and the slice units written.
		wantKube, wantSystem string
		wantUnits            []string
		wantDropIn           string
	}{
		{
			name: "kube.slice with systemd's own system.slice", driver: "systemd", kube: "/kube.slice", system: "/system.slice",
			wantKube: "/kube.slice", wantSystem: "/system.slice", wantUnits: []string{"kube.slice"},
			wantDropIn: "[Service]\nSlice=kube.slice\n",
		},
		{
			name: "nested slice, custom system slice", driver: "systemd", kube: "/kube.slice/kube-kubelet.slice", system: "/reserved.slice",
			wantKube: "/kube.slice/kube-kubelet.slice", wantSystem: "/reserved.slice", wantUnits: []string{"kube-kubelet.slice", "kube.slice", "reserved.slice"},
			wantDropIn: "[Unit]\nWants=reserved.slice\nAfter=reserved.slice\n\n[Service]\nSlice=kube-kubelet.slice\n",
		},
		{
			// The systemd driver reads only the last element as a slice name: /kube is kube.slice.
			name: "systemd driver, cgroupfs-style name", driver: "systemd", kube: "/kube", system: "/system.slice",
			wantKube: "/kube.slice", wantSystem: "/system.slice", wantUnits: []string{"kube.slice"},
			wantDropIn: "[Service]\nSlice=kube.slice\n",
		},
		{
			// cgroupfs takes paths literally; kubeforge names the slice's path so systemd creates it.
			name: "cgroupfs driver", driver: "cgroupfs", kube: "/kube.slice", system: "/system.slice",
			wantKube: "/kube.slice", wantSystem: "/system.slice", wantUnits: []string{"kube.slice"},
			wantDropIn: "[Service]\nSlice=kube.slice\n",
		},
		{
			name: "cgroupfs driver, nested plain names", driver: "cgroupfs", kube: "/kube/kubelet", system: "/system.slice",
			wantKube: "/kube.slice/kube-kubelet.slice", wantSystem: "/system.slice", wantUnits: []string{"kube-kubelet.slice", "kube.slice"},
			wantDropIn: "[Service]\nSlice=kube-kubelet.slice\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := compilertest.LoadYAML(t, reservedCgroupsCluster(tc.driver, tc.kube, tc.system))
			b := render(t, c, c.Hosts[0])
			cfg := strictDecode(t, lookup(t, b, compiler.KubeletConfigPath).Data)
			if cfg.KubeReservedCgroup != tc.wantKube || cfg.SystemReservedCgroup != tc.wantSystem || cfg.CgroupDriver != tc.driver {
				t.Errorf("kubeReservedCgroup %q systemReservedCgroup %q driver %q, want %q %q %q",
					cfg.KubeReservedCgroup, cfg.SystemReservedCgroup, cfg.CgroupDriver, tc.wantKube, tc.wantSystem, tc.driver)
			}
			var units []string
			for _, a := range b.Artifacts {
				if strings.HasSuffix(a.Path, ".slice") {
					units = append(units, strings.TrimPrefix(a.Path, compiler.SystemdUnitDir+"/"))
				}
			}
			if strings.Join(units, " ") != strings.Join(tc.wantUnits, " ") {
				t.Errorf("slice units %v, want %v", units, tc.wantUnits)
			}
			if got := string(lookup(t, b, dropIn).Data); got != tc.wantDropIn {
				t.Errorf("%s:\n%s\nwant:\n%s", dropIn, got, tc.wantDropIn)
			}
			requireVerified(t, "n1", b.Artifacts)
		})
	}
}

func TestNoSlicesWithoutEnforcement(t *testing.T) {
	// Cgroups named but not enforced: the kubelet does not look for them.
	src := strings.Replace(reservedCgroupsCluster("systemd", "/kube.slice", "/reserved.slice"), "[pods, kube-reserved, system-reserved]", "[pods]", 1)
	c := compilertest.LoadYAML(t, src)
	for _, a := range render(t, c, c.Hosts[0]).Artifacts {
		if strings.HasSuffix(a.Path, ".slice") || strings.HasSuffix(a.Path, "12-reserved-cgroups.conf") {
			t.Errorf("unexpected %s", a.Path)
		}
	}
	// The examples enforce only pods.
	ex := loadExample(t, "ha")
	for _, a := range render(t, ex, compilertest.Host(t, ex, "w3")).Artifacts {
		if strings.HasSuffix(a.Path, ".slice") || strings.Contains(string(a.Data), "Slice=") {
			t.Errorf("unexpected slice in %s", a.Path)
		}
	}
}

func TestSliceNames(t *testing.T) {
	for _, tc := range []struct{ value, driver, want string }{
		{"/kube.slice", "systemd", "kube.slice"},
		{"kube.slice", "systemd", "kube.slice"},
		{"/system.slice/system-kube.slice", "systemd", "system-kube.slice"},
		{"/kube_reserved.slice", "systemd", "kube_reserved.slice"},
		{"/kube-reserved", "cgroupfs", "kube_reserved.slice"},
		{"/a/b/c", "cgroupfs", "a-b-c.slice"},
	} {
		got, err := sliceOf(tc.value, tc.driver)
		if err != nil || got != tc.want {
			t.Errorf("sliceOf(%q, %s) = %q, %v; want %q", tc.value, tc.driver, got, err, tc.want)
		}
	}
	for _, bad := range []string{"/", "/-.slice", "/a b.slice", "/kube//x"} {
		if got, err := sliceOf(bad, "cgroupfs"); err == nil {
			t.Errorf("sliceOf(%q) = %q, want an error", bad, got)
		}
	}
	if got := slicePath("a-b-c.slice"); got != "/a.slice/a-b.slice/a-b-c.slice" {
		t.Errorf("slicePath = %q", got)
	}
}
