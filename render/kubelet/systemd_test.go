package kubelet

import (
	"crypto/sha256"
	"maps"
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
	"kubeforge.dev/kubeforge/render/testenv"
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
	tool := testenv.Tool(t, "systemd-analyze")
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
		if a.IsDir() {
			continue // created as the files' parents; verify reads files only
		}
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

// hostile loads a description of the hostile corpus that is valid: strings an attacker or a
// careless user would write, which must reach each consumer exactly as written.
func hostile(t *testing.T, name string) *compiler.Cluster {
	t.Helper()
	return compilertest.Load(t, filepath.Join("../../compiler/testdata/hostile", name))
}

// TestSystemdReadsProxyBack has systemd load the proxy drop-ins of the kubelet and of the
// runtime's services, and checks each variable holds exactly the description's value.
func TestSystemdReadsProxyBack(t *testing.T) {
	c := hostile(t, "inject-ok-proxy.yaml")
	arts := render(t, c, c.Hosts[0]).Artifacts
	requireVerified(t, "proxy", arts)
	// The description's values, as the model holds them (NO_PROXY adds the cluster's own).
	if c.Proxy.HTTP != "http://us%24er.name:p%25a'ss$!*(x);&=~@proxy.example.com:3128/" || c.Proxy.NoProxy[0] != "*" {
		t.Fatalf("the model does not hold the description's proxy: %+v", c.Proxy)
	}
	want := map[string]string{"http_proxy": c.Proxy.HTTP, "https_proxy": c.Proxy.HTTPS, "no_proxy": strings.Join(c.Proxy.NoProxy, ",")}
	for svc, u := range systemdLoad(t, arts, "kubelet.service", "cri-docker.service", "docker.service") {
		for name, v := range want {
			for _, n := range []string{name, strings.ToUpper(name)} {
				if u.env[n] != v {
					t.Errorf("%s: systemd reads %s=%q, want %q", svc, n, u.env[n], v)
				}
			}
		}
	}
}

// TestSystemdReadsKubeletFlagsBack resolves the kubelet's command line as systemd would run
// it: the units as systemd parsed them, kubeadm-flags.env read by systemd's grammar and by a
// shell, $KUBELET_KUBEADM_ARGS split as systemd splits it. The result must be exactly
// kubeforge's flags, the user's values unchanged.
func TestSystemdReadsKubeletFlagsBack(t *testing.T) {
	for _, name := range []string{"inject-ok-strings.yaml", "inject-ok-kubelet-shell-syntax.yaml"} {
		t.Run(name, func(t *testing.T) { readKubeletFlagsBack(t, hostile(t, name)) })
	}
}

func readKubeletFlagsBack(t *testing.T, c *compiler.Cluster) {
	for _, h := range c.Hosts {
		b := render(t, c, h)
		requireVerified(t, h.Name, b.Artifacts)
		u := systemdLoad(t, b.Artifacts, "kubelet.service")["kubelet.service"]
		if len(u.exec) != 1 {
			t.Fatalf("%s: %d ExecStart command lines", h.Name, len(u.exec))
		}
		if !slices.Contains(u.envFiles, "-"+compiler.KubeletEnvPath) {
			t.Fatalf("%s: kubelet.service reads no %s: %q", h.Name, compiler.KubeletEnvPath, u.envFiles)
		}
		env := maps.Clone(u.env)
		env[kubeadmFlagsVar] = envFileValue(t, lookup(t, b, compiler.KubeletEnvPath).Data, kubeadmFlagsVar)
		flags, _ := kubeadmFlags(h)
		want := append([]string{compiler.KubeletBinary, "--kubeconfig=" + compiler.KubeletConfPath, "--config=" + compiler.KubeletConfigPath}, flags...)
		got := execArgv(u.exec[0], env)
		if !slices.Equal(got, want) {
			t.Errorf("%s: systemd would run\n%q\nwant\n%q", h.Name, got, want)
		}
		if len(h.Kubelet.ExtraArgs) == 0 {
			t.Fatalf("%s: no extra args: nothing hostile is tested", h.Name)
		}
		for k, v := range h.Kubelet.ExtraArgs {
			if !slices.Contains(got, "--"+k+"="+v) {
				t.Errorf("%s: --%s=%s is not one argument of %q", h.Name, k, v, got)
			}
		}
	}
}

// TestSystemdReadsEtcdHostFlagsBack does the same for a dedicated etcd host, whose kubelet
// flags are words of its ExecStart line.
func TestSystemdReadsEtcdHostFlagsBack(t *testing.T) {
	c := hostile(t, "inject-ok-dedicated-etcd.yaml")
	h := compilertest.Host(t, c, "e1")
	b := render(t, c, h)
	requireVerified(t, h.Name, b.Artifacts)
	u := systemdLoad(t, b.Artifacts, "kubelet.service")["kubelet.service"]
	if len(u.exec) != 1 {
		t.Fatalf("%d ExecStart command lines", len(u.exec))
	}
	extra := h.Kubelet.ExtraArgs
	if !strings.Contains(extra["log-file"], "$") || !strings.Contains(extra["log-file"], "%") {
		t.Fatalf("the description's flags hold no '$' or '%%': %q", extra)
	}
	want := append([]string{compiler.KubeletBinary, "--config=" + compiler.KubeletConfigPath}, flagArgs(sortedKeys(extra), extra)...)
	if got := execArgv(u.exec[0], u.env); !slices.Equal(got, want) {
		t.Errorf("systemd would run\n%q\nwant\n%q", got, want)
	}
}

// The grammar helpers above must follow systemd where it was run: a unit of known words.
func TestSystemdLoadHarness(t *testing.T) {
	unit := "[Service]\nEnvironment=\"A=x 'y z' \\\"q\\\"\" \"P=100%%\"\nExecStart=/bin/true --h=$$HOME \"a b\" ${P} $A\n"
	arts := []artifact.Artifact{artifact.File(compiler.SystemdUnitDir+"/probe.service", 0o644, []byte(unit))}
	u := systemdLoad(t, arts, "probe.service")["probe.service"]
	if u.env["A"] != `x 'y z' "q"` || u.env["P"] != "100%" {
		t.Errorf("environment %q", u.env)
	}
	want := []string{"/bin/true", "--h=$HOME", "a b", "100%", "x", "y z", `q`}
	if got := execArgv(u.exec[0], u.env); !slices.Equal(got, want) {
		t.Errorf("argv %q, want %q", got, want)
	}
}
