package compiler_test

import (
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
)

// TestOSFamilyLayers checks that a host's OS family comes from the last of hostDefaults
// (defaulted to debian), its group and itself that sets it, with that layer as its origin.
func TestOSFamilyLayers(t *testing.T) {
	c := compilertest.LoadYAML(t, `
apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: c
controlPlaneEndpoint: api.example.com
groups:
  el: {os: rhel}
  plain: {labels: {a: b}}
hosts:
  - {name: cp1, addresses: [10.0.0.1], roles: [control-plane]}
  - {name: cp2, group: el, addresses: [10.0.0.2], roles: [control-plane]}
  - {name: w1, group: el, os: flatcar, addresses: [10.0.0.3], roles: [worker]}
  - {name: w2, group: plain, addresses: [10.0.0.4], roles: [worker]}
`)
	for name, want := range map[string]struct {
		os     compiler.OSFamily
		origin string
	}{
		"cp1": {compiler.OSDebian, "hostDefaults.os"},
		"cp2": {compiler.OSRHEL, "groups.el.os"},
		"w1":  {compiler.OSFlatcar, "hosts[2].os"},
		"w2":  {compiler.OSDebian, "hostDefaults.os"},
	} {
		h := compilertest.Host(t, c, name)
		if h.OS != want.os || h.OSOrigin != want.origin {
			t.Errorf("%s: os %q from %q, want %q from %q", name, h.OS, h.OSOrigin, want.os, want.origin)
		}
	}
	// hostDefaults may change the default.
	c = compilertest.LoadYAML(t, `
apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: c
hostDefaults: {os: rhel}
hosts:
  - {name: cp1, addresses: [10.0.0.1], roles: [control-plane]}
`)
	if h := compilertest.Host(t, c, "cp1"); h.OS != compiler.OSRHEL {
		t.Errorf("hostDefaults.os rhel: host has %q", h.OS)
	}
}

// TestOSFamilyRefusesUnknown checks an unknown family is refused at its position, naming the
// families.
func TestOSFamilyRefusesUnknown(t *testing.T) {
	_, _, diags := compiler.LoadBytes("test.yaml", []byte(`apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: c
hosts:
  - {name: cp1, os: windows, addresses: [10.0.0.1], roles: [control-plane]}
`))
	if !diags.HasErrors() {
		t.Fatal("os: windows accepted")
	}
	text := diags.Error()
	for _, want := range []string{"test.yaml:5:", "hosts[0].os", "debian", "rhel", "flatcar"} {
		if !strings.Contains(text, want) {
			t.Errorf("diagnostic does not say %q:\n%s", want, text)
		}
	}
}

// TestCATrustDirsPerFamily guards the table: every family has /etc/ssl/certs (kubeadm always
// mounts it) and only directories kubeadm knows.
func TestCATrustDirsPerFamily(t *testing.T) {
	known := []string{compiler.SSLCertsDir, compiler.PKICATrustDir, compiler.PKITLSCertsDir, compiler.CACertificatesDir,
		compiler.ShareCACertificatesDir, compiler.LocalCACertificatesDir}
	if got := compiler.OSFamilies(); !slices.Equal(got, []compiler.OSFamily{compiler.OSDebian, compiler.OSFlatcar, compiler.OSRHEL}) {
		t.Errorf("families %v", got)
	}
	for _, f := range compiler.OSFamilies() {
		dirs := (&compiler.Host{OS: f}).CATrustDirs()
		if !slices.Contains(dirs, compiler.SSLCertsDir) {
			t.Errorf("%s: no %s", f, compiler.SSLCertsDir)
		}
		for _, d := range dirs {
			if !slices.Contains(known, d) {
				t.Errorf("%s: %s is not a directory kubeadm mounts", f, d)
			}
		}
	}
	if dirs := (&compiler.Host{OS: compiler.OSDebian}).CATrustDirs(); slices.Contains(dirs, compiler.PKICATrustDir) {
		t.Errorf("debian mounts %s, which DirectoryOrCreate would create", compiler.PKICATrustDir)
	}
}
