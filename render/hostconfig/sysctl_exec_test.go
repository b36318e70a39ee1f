package hostconfig

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/testenv"
)

// These tests hand the rendered file to the real sysctl. Only net.* keys are ever written,
// and only inside a throwaway network namespace (unshare -n): other keys are global and would
// change this machine.

func lookPath(t *testing.T, tools ...string) {
	t.Helper()
	testenv.Tools(t, tools...)
}

// run returns the command's stdout and an error carrying stderr when it fails or writes
// anything to stderr.
func run(name string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil || stderr.Len() > 0 {
		return stdout.String(), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// dryRun checks with sysctl that every key of a sysctl.d file exists on this kernel.
func dryRun(t *testing.T, data []byte) error {
	_, err := run("sysctl", "--dry-run", "-p", writeTemp(t, "99-kubernetes.conf", data))
	return err
}

func TestSysctlKeysExistOnKernel(t *testing.T) {
	lookPath(t, "sysctl")
	for _, ex := range examples {
		c := compilertest.Load(t, ex)
		for _, h := range c.Hosts {
			a := find(t, mustFiles(t, c, h), compiler.SysctlPath)
			if err := dryRun(t, a.Data); err != nil {
				t.Errorf("%s host %s: sysctl rejects the file: %v\n%s", ex, h.Name, err, a.Data)
			}
		}
	}
}

func TestSysctlDryRunRejectsUnknownKey(t *testing.T) {
	lookPath(t, "sysctl")
	c := compilertest.Load(t, "ha.yaml")
	a := find(t, mustFiles(t, c, c.Hosts[0]), compiler.SysctlPath)
	bad := append(append([]byte{}, a.Data...), "net.kubeforge.no_such_key = 1\n"...)
	if err := dryRun(t, bad); err == nil {
		t.Fatal("sysctl --dry-run accepted an unknown key: the check above proves nothing")
	}
}

// netKeysInFreshNetns returns which of keys exist in a new network namespace. The
// net.bridge.* keys exist only while br_netfilter is loaded (built in here; a module that
// cannot be loaded in a test elsewhere), and before Linux 5.3 they were global rather than
// per namespace, so a fresh namespace may lack them: they are skipped rather than failed.
func netKeysInFreshNetns(t *testing.T, keys []string) map[string]bool {
	t.Helper()
	script := `for k; do [ -e "/proc/sys/$(printf %s "$k" | tr . /)" ] && echo "$k"; done; true`
	out, err := run("unshare", append([]string{"-n", "sh", "-c", script, "sh"}, keys...)...)
	if err != nil {
		testenv.Missing(t, "cannot create a network namespace here: %v", err)
	}
	exist := map[string]bool{}
	for _, k := range strings.Fields(out) {
		exist[k] = true
	}
	return exist
}

// applyInNetns writes settings with `sysctl -p` inside a new network namespace and returns
// the values read back there, normalised to single spaces.
func applyInNetns(t *testing.T, settings []setting) (map[string]string, error) {
	t.Helper()
	var file bytes.Buffer
	keys := []string{}
	for _, s := range settings {
		fmt.Fprintf(&file, "%s = %s\n", s.Key, s.Value)
		keys = append(keys, s.Key)
	}
	path := writeTemp(t, "net.conf", file.Bytes())
	script := `f=$1; shift; sysctl -q -p "$f" && sysctl "$@"`
	out, err := run("unshare", append([]string{"-n", "sh", "-c", script, "sh", path}, keys...)...)
	if err != nil {
		return nil, err
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, _ := strings.Cut(line, " = ")
		got[k] = strings.Join(strings.Fields(v), " ")
	}
	return got, nil
}

func TestSysctlNetValuesApplyInNetns(t *testing.T) {
	lookPath(t, "sysctl", "unshare", "sh")
	for _, ex := range examples {
		c := compilertest.Load(t, ex)
		a := find(t, mustFiles(t, c, c.Hosts[0]), compiler.SysctlPath)
		var net []setting
		var keys []string
		for _, s := range parseSysctl(t, a.Data) {
			if strings.HasPrefix(s.Key, "net.") {
				net = append(net, s)
				keys = append(keys, s.Key)
			}
		}
		exist := netKeysInFreshNetns(t, keys)
		var apply []setting
		for _, s := range net {
			if exist[s.Key] {
				apply = append(apply, s)
			} else {
				t.Logf("%s: %s does not exist in a fresh network namespace on this kernel; not applied", ex, s.Key)
			}
		}
		if !exist["net.ipv4.ip_forward"] {
			t.Fatalf("%s: net.ipv4.ip_forward missing from the namespace: nothing real would be tested", ex)
		}
		got, err := applyInNetns(t, apply)
		if err != nil {
			t.Errorf("%s: sysctl -p failed: %v", ex, err)
			continue
		}
		for _, s := range apply {
			if want := strings.Join(strings.Fields(s.Value), " "); got[s.Key] != want {
				t.Errorf("%s: %s read back %q, want %q", ex, s.Key, got[s.Key], want)
			}
		}
	}
}

func TestSysctlNetnsRejectsBadValue(t *testing.T) {
	lookPath(t, "sysctl", "unshare", "sh")
	netKeysInFreshNetns(t, []string{"net.ipv4.ip_forward"})
	if _, err := applyInNetns(t, []setting{{"net.ipv4.ip_forward", "not-a-number"}}); err == nil {
		t.Fatal("sysctl -p accepted an invalid value: the namespace check proves nothing")
	}
}

// TestSysctlHostileValuesReadBack renders the hostile corpus's valid sysctls (values with
// inner spaces), checks sysctl.d holds each value exactly, that sysctl knows every key, and
// that the kernel, inside a throwaway network namespace, reads back the values written.
func TestSysctlHostileValuesReadBack(t *testing.T) {
	lookPath(t, "sysctl", "unshare", "sh")
	c := compilertest.Load(t, "../../compiler/testdata/hostile/inject-ok-strings.yaml")
	a := find(t, mustFiles(t, c, c.Hosts[0]), compiler.SysctlPath)
	written := values(parseSysctl(t, a.Data))
	var apply []setting
	var keys []string
	for _, s := range c.Sysctls {
		if written[s.Key] != s.Value {
			t.Errorf("%s: file holds %q, description %q", s.Key, written[s.Key], s.Value)
		}
		if strings.Contains(s.Value, " ") {
			apply = append(apply, setting{s.Key, s.Value})
			keys = append(keys, s.Key)
		}
	}
	if len(apply) < 2 {
		t.Fatalf("the corpus case has %d values with spaces: nothing hostile is tested", len(apply))
	}
	if err := dryRun(t, a.Data); err != nil {
		t.Errorf("sysctl --dry-run: %v", err)
	}
	exist := netKeysInFreshNetns(t, keys)
	for _, s := range apply {
		if !exist[s.Key] {
			t.Fatalf("%s does not exist in a network namespace here", s.Key)
		}
	}
	got, err := applyInNetns(t, apply)
	if err != nil {
		t.Fatalf("sysctl -p: %v", err)
	}
	for _, s := range apply {
		// applyInNetns joins the elements of a vector, which the kernel prints separated by
		// tabs, with single spaces.
		if got[s.Key] != s.Value {
			t.Errorf("%s: the kernel reads back %q, want %q", s.Key, got[s.Key], s.Value)
		}
	}
}
