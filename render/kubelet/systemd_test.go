package kubelet

import (
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/artifact"
)

// execLine matches Exec*= settings; the first word, after systemd's prefixes, is the program.
var execLine = regexp.MustCompile(`(?m)^Exec[A-Za-z]*=[-@:+!]*(\S+)`)

// systemdVerify writes the artifacts into an alternate root holding this machine's systemd
// units, and runs systemd-analyze verify on the named units there. It returns the tool's
// output and error. Services that only get a drop-in get a stand-in unit, as their package
// would install it; every program an Exec line names gets a stub, since verify checks they
// exist inside the root.
func systemdVerify(t *testing.T, arts []artifact.Artifact, units ...string) (string, error) {
	t.Helper()
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (make test-deps installs it)")
	}
	root := t.TempDir()
	vendor := filepath.Join(root, "usr/lib/systemd/system")
	if err := os.MkdirAll(filepath.Dir(vendor), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", "/usr/lib/systemd/system", vendor).CombinedOutput(); err != nil {
		t.Fatalf("copying the host's units: %v: %s", err, out)
	}
	var texts []string
	write := func(path string, data []byte, mode os.FileMode) {
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range arts {
		write(a.Path, a.Data, a.Mode)
		if strings.HasPrefix(a.Path, compiler.SystemdUnitDir+"/") {
			texts = append(texts, string(a.Data))
		}
		if dir := filepath.Dir(a.Path); strings.HasSuffix(dir, ".service.d") {
			svc := strings.TrimSuffix(filepath.Base(dir), ".d")
			// A unit this machine's packages installed (containerd.service, when containerd is
			// installed) names its own programs, which need stubs inside the root too.
			if text, err := os.ReadFile(filepath.Join(vendor, svc)); err == nil {
				texts = append(texts, string(text))
			}
			if _, err := os.Stat(filepath.Join(vendor, svc)); os.IsNotExist(err) && svc != "kubelet.service" {
				stub := "[Service]\nExecStart=/usr/bin/" + strings.TrimSuffix(svc, ".service") + "\n"
				write(filepath.Join("/usr/lib/systemd/system", svc), []byte(stub), 0o644)
				texts = append(texts, stub)
			}
		}
	}
	for _, text := range texts {
		for _, m := range execLine.FindAllStringSubmatch(text, -1) {
			if filepath.IsAbs(m[1]) {
				write(m[1], []byte("#!/bin/sh\n"), 0o755)
			}
		}
	}
	args := append([]string{"verify", "--man=no", "--generators=no", "--recursive-errors=no", "--root=" + root}, units...)
	cmd := exec.Command(tool, args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// unitsOf returns the units systemd should verify for a host's artifacts: kubelet.service,
// every service given a drop-in, and every slice.
func unitsOf(arts []artifact.Artifact) []string {
	units := []string{"kubelet.service"}
	for _, a := range arts {
		dir := filepath.Dir(a.Path)
		switch {
		case strings.HasSuffix(a.Path, ".slice"):
			units = append(units, filepath.Base(a.Path))
		case strings.HasSuffix(dir, ".service.d"):
			units = append(units, strings.TrimSuffix(filepath.Base(dir), ".d"))
		}
	}
	slices.Sort(units)
	return slices.Compact(units)
}

func requireVerified(t *testing.T, name string, arts []artifact.Artifact) {
	t.Helper()
	units := unitsOf(arts)
	out, err := systemdVerify(t, arts, units...)
	if err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("%s: systemd-analyze verify %v: %v\n%s", name, units, err, out)
	}
}

// unitSet returns a key for the host's systemd files, so identical hosts are verified once.
func unitSet(arts []artifact.Artifact) [32]byte {
	h := sha256.New()
	for _, a := range arts {
		if strings.HasPrefix(a.Path, compiler.SystemdUnitDir+"/") {
			h.Write([]byte(a.Path + "\x00"))
			h.Write(a.Data)
		}
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

func TestSystemdAcceptsEveryExample(t *testing.T) {
	for _, name := range []string{"ha", "single-node", "dedicated-etcd", "dual-stack", "large"} {
		t.Run(name, func(t *testing.T) {
			c := loadExample(t, name)
			seen := map[[32]byte]bool{}
			for _, h := range c.Hosts {
				arts := render(t, c, h).Artifacts
				key := unitSet(arts)
				if seen[key] {
					continue
				}
				seen[key] = true
				requireVerified(t, h.Name, arts)
			}
		})
	}
}

// The harness must be able to fail: a typo in the unit, in a drop-in or in a slice, or a
// second ExecStart without a reset, are refused.
func TestSystemdVerifyRefusesBrokenUnits(t *testing.T) {
	c := compilertest.LoadYAML(t, reservedCgroupsCluster("systemd", "/kube.slice", "/system.slice"))
	good := render(t, c, c.Hosts[0]).Artifacts
	if out, err := systemdVerify(t, good, unitsOf(good)...); err != nil {
		t.Fatalf("the unbroken files must pass first: %v\n%s", err, out)
	}
	breaks := []struct {
		name, path, from, to string
	}{
		{"key typo in the unit", compiler.KubeletUnitPath, "Restart=always", "Restrat=always"},
		{"second ExecStart in a drop-in", compiler.KubeletDropInDir + "/10-kubeadm.conf", "ExecStart=\n", ""},
		{"bad value in the accounting drop-in", compiler.KubeletDropInDir + "/11-accounting.conf", "CPUAccounting=true", "CPUAccounting=maybe"},
		{"section typo in the slice", compiler.SystemdUnitDir + "/kube.slice", "[Unit]", "[Unti]"},
	}
	for _, br := range breaks {
		t.Run(br.name, func(t *testing.T) {
			arts := slices.Clone(good)
			i := slices.IndexFunc(arts, func(a artifact.Artifact) bool { return a.Path == br.path })
			if i < 0 {
				t.Fatalf("no %s", br.path)
			}
			broken := strings.Replace(string(arts[i].Data), br.from, br.to, 1)
			if broken == string(arts[i].Data) {
				t.Fatalf("%q not in %s", br.from, br.path)
			}
			arts[i].Data = []byte(broken)
			if out, err := systemdVerify(t, arts, unitsOf(arts)...); err == nil {
				t.Errorf("systemd-analyze accepted the broken %s:\n%s\n%s", br.path, broken, out)
			}
		})
	}
}
