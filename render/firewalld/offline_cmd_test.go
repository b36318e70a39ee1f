package firewalld

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/testenv"
)

// These tests load the rendered files with firewalld's own parser and checker:
// firewall-offline-cmd --check-config on a directory laid out like /etc/firewalld. It reads
// firewalld's shipped services and zones (ssh, public, ...) from /usr/lib/firewalld as usual.

// offlineCmd returns the command line running firewall-offline-cmd with root's rights: as is
// for root, else inside a user namespace (unshare -r); it skips the test when neither works.
func offlineCmd(t *testing.T) []string {
	t.Helper()
	testenv.Tool(t, "firewall-offline-cmd")
	if os.Geteuid() == 0 {
		return []string{"firewall-offline-cmd"}
	}
	if err := exec.Command("unshare", "-r", "true").Run(); err != nil {
		testenv.Missing(t, "firewall-offline-cmd needs root or unshare -r: %v", err)
	}
	return []string{"unshare", "-r", "firewall-offline-cmd"}
}

// layout writes the artifacts under dir as firewalld's system config (services/, zones/) with
// a firewalld.conf naming defaultZone, and returns dir.
func layout(t *testing.T, arts []artifact.Artifact, defaultZone string) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"services", "zones"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := fmt.Sprintf("DefaultZone=%s\n", defaultZone)
	if err := os.WriteFile(filepath.Join(dir, "firewalld.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		rel, ok := strings.CutPrefix(a.Path, compiler.FirewalldDir+"/")
		if !ok {
			t.Fatalf("%s is outside %s", a.Path, compiler.FirewalldDir)
		}
		if err := os.WriteFile(filepath.Join(dir, rel), a.Data, a.Mode.Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// checkConfig runs firewalld's configuration check on dir. It returns an error on a non-zero
// exit or on any stderr output: firewalld reports some errors (an unknown default zone) on
// stderr and still exits 0.
func checkConfig(cmdline []string, dir string) error {
	args := append(cmdline[1:], "--system-config", dir, "--check-config")
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(cmdline[0], args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil || stderr.Len() > 0 {
		return fmt.Errorf("firewall-offline-cmd: %v: %s%s", err, stdout.String(), stderr.String())
	}
	return nil
}

func TestFirewalldAcceptsEveryHost(t *testing.T) {
	cmd := offlineCmd(t)
	for _, ex := range examples {
		c := compilertest.Load(t, ex)
		for _, h := range c.Hosts {
			arts := render(t, c, h)
			if err := checkConfig(cmd, layout(t, arts, c.Firewall.Zone)); err != nil {
				t.Errorf("%s host %s: %v", ex, h.Name, err)
			}
		}
	}
}

// Each shipped zone kubeforge may restate must still load, with its services and target.
func TestFirewalldAcceptsStockZones(t *testing.T) {
	cmd := offlineCmd(t)
	for _, name := range slices.Sorted(maps.Keys(stockZones)) {
		c := loadInline(t, fmt.Sprintf("firewall: {zone: %s}\n", name))
		if err := checkConfig(cmd, layout(t, render(t, c, c.Hosts[0]), name)); err != nil {
			t.Errorf("zone %s: %v", name, err)
		}
	}
}

// The harness must fail on what firewalld refuses, or the tests above prove nothing.
func TestFirewalldHarnessDetectsErrors(t *testing.T) {
	cmd := offlineCmd(t)
	c := compilertest.Load(t, "ha.yaml")
	good := render(t, c, compilertest.Host(t, c, "cp1"))
	if err := checkConfig(cmd, layout(t, good, "public")); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	var zoneOnly, truncated []artifact.Artifact
	for _, a := range good {
		if strings.Contains(a.Path, "/zones/") {
			zoneOnly = append(zoneOnly, a)
		}
		if strings.Contains(a.Path, "/services/") {
			a.Data = a.Data[:len(a.Data)/2]
		}
		truncated = append(truncated, a)
	}
	for _, bad := range []struct {
		what        string
		arts        []artifact.Artifact
		defaultZone string
	}{
		{"a zone enabling a service with no file", zoneOnly, "public"},
		{"a truncated service file", truncated, "public"},
		{"an unknown default zone (reported on stderr, exit 0)", good, "no-such-zone"},
	} {
		if err := checkConfig(cmd, layout(t, bad.arts, bad.defaultZone)); err == nil {
			t.Errorf("harness accepted %s", bad.what)
		} else {
			t.Logf("%s: %v", bad.what, err)
		}
	}
}

// The shipped zone table must match the firewalld installed here, where it is installed.
func TestStockZonesMatchInstalledFirewalld(t *testing.T) {
	dir := "/usr/lib/firewalld/zones"
	if _, err := os.Stat(dir); err != nil {
		testenv.Missing(t, "firewalld's shipped zones not installed: %v", err)
	}
	for name, want := range stockZones {
		data, err := os.ReadFile(filepath.Join(dir, name+".xml"))
		if err != nil {
			t.Errorf("zone %s not shipped by this firewalld: %v", name, err)
			continue
		}
		var z zone
		if err := xml.Unmarshal(data, &z); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var services []string
		for _, s := range z.Services {
			services = append(services, s.Name)
		}
		if z.Short != want.short || z.Target != want.target || (z.Masquerade != nil) != want.masquerade || !slices.Equal(services, want.services) {
			t.Errorf("zone %s shipped as short %q target %q masquerade %v services %v; table says %+v",
				name, z.Short, z.Target, z.Masquerade != nil, services, want)
		}
	}
}

// The hostile corpus's valid names load in firewalld: a cluster name holding "--" (which the
// comments cannot carry as is) and a new zone named at firewalld's length limit. The
// descriptions hold the names exactly.
func TestFirewalldAcceptsHostileNames(t *testing.T) {
	cmd := offlineCmd(t)
	for _, name := range []string{"inject-ok-proxy.yaml", "inject-ok-strings.yaml"} {
		c := compilertest.Load(t, filepath.Join("../../compiler/testdata/hostile", name))
		for _, h := range c.Hosts {
			arts := render(t, c, h)
			if err := checkConfig(cmd, layout(t, arts, c.Firewall.Zone)); err != nil {
				t.Errorf("%s host %s: %v", name, h.Name, err)
			}
			o := parse(t, c, arts)
			if !strings.Contains(o.zone.Description, " cluster "+c.Name) {
				t.Errorf("%s: zone description %q lacks the cluster name %q", name, o.zone.Description, c.Name)
			}
		}
	}
	if c := compilertest.Load(t, "../../compiler/testdata/hostile/inject-ok-strings.yaml"); len(c.Firewall.Zone) != compiler.MaxZoneNameLen {
		t.Errorf("zone %q is not at the limit of %d characters", c.Firewall.Zone, compiler.MaxZoneNameLen)
	}
}
