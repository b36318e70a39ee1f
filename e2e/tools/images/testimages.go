package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// The images of the Kubernetes conformance suite (registry.k8s.io/e2e-test-images/...), as
// e2e.test names them. Each is built here from the release's own sources and Debian's archive,
// since no registry is reachable. Where upstream's content cannot be had here (Alpine, a
// version Debian never shipped), the image is a stand-in: it holds what the specs run in it,
// says so in its configuration (standInLabel) and in the suite's README, and its recipe gives
// the reason. Nothing else may pass for another version.

// standInLabel is the image configuration label a stand-in carries: what it holds instead.
const standInLabel = "dev.kubeforge.e2e.stand-in"

// testImageSystem is the Debian userland of the agnhost and glibc-dns-testing images: what
// glibc-dns-testing's Dockerfile installs (dnsutils, which is bind9-dnsutils in bookworm) and
// the programs the specs run in agnhost's (curl, OpenBSD's nc, ip and ss), in one layer the
// two images share on every node.
func testImageSystem(suite string) debianSystem {
	return debianSystem{suite: suite, variant: "essential",
		packages: []string{"bind9-dnsutils", "curl", "netcat-openbsd", "iproute2", "ca-certificates"}}
}

// baseImageSuite matches the Debian base of a test image's BASEIMAGE file
// ("linux/amd64=debian:bookworm-slim").
var baseImageSuite = regexp.MustCompile(`(?m)^linux/amd64=debian:([a-z]+)(?:-slim)?$`)

// testImageSource returns the directory of a test image's sources in the release, after
// checking that its VERSION is the tag.
func (b *builder) testImageSource(image, tag string) (string, error) {
	src, err := b.kubernetesSource()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(src, "test", "images", image)
	v, err := os.ReadFile(filepath.Join(dir, "VERSION"))
	if err != nil {
		return "", err
	}
	if got := strings.TrimSpace(string(v)); got != tag {
		return "", fmt.Errorf("the %s sources of Kubernetes %s are version %s, the image is tagged %s", image, b.k8sVersion, got, tag)
	}
	return dir, nil
}

// debianSuiteOf returns the Debian suite a test image's BASEIMAGE names.
func debianSuiteOf(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "BASEIMAGE"))
	if err != nil {
		return "", err
	}
	m := baseImageSuite.FindSubmatch(data)
	if m == nil {
		return "", fmt.Errorf("%s/BASEIMAGE names no Debian base for linux/amd64", dir)
	}
	return string(m[1]), nil
}

// glibcDNSTesting makes glibc-dns-testing: the Debian its BASEIMAGE names with dnsutils, as
// its Dockerfile installs it (without the CoreDNS 1.5.0 it also downloads, which no selected
// spec runs).
func glibcDNSTesting(b *builder, tag string) (*image, error) {
	dir, err := b.testImageSource("glibc-dns-testing", tag)
	if err != nil {
		return nil, err
	}
	suite, err := debianSuiteOf(dir)
	if err != nil {
		return nil, err
	}
	base, err := b.debianLayer(testImageSystem(suite))
	if err != nil {
		return nil, err
	}
	return &image{baseLayers: []string{base}, files: newTree(), cmd: []string{"bash"}}, nil
}

// agnhostProgram returns the agnhost binary built with e2e.test and its version, which is
// the image's tag (stamped from test/images/agnhost/VERSION).
func (b *builder) agnhostProgram() (string, string, error) {
	if b.conformanceDir == "" {
		return "", "", fmt.Errorf("agnhost images need -conformance-bin (e2e/tools/build-binaries.sh conformance)")
	}
	bin := filepath.Join(b.conformanceDir, "agnhost")
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("%s --version: %v: %s", bin, err, out)
	}
	fields := strings.Fields(string(out)) // "app version 2.66.1"
	if len(fields) == 0 {
		return "", "", fmt.Errorf("%s --version printed nothing", bin)
	}
	return bin, fields[len(fields)-1], nil
}

// agnhostPrevious is the tag of the "previous agnhost" some specs swap images with
// (AgnhostPrev). 2.55 was only ever on Kubernetes' main branch, between v1.34.0-alpha.0 (2.53)
// and alpha.1 (2.56): no release's sources hold it, so its image is a stand-in holding the
// release's agnhost.
const agnhostPrevious = "2.55"

// agnhost makes agnhost's image: the release's agnhost at /agnhost (and /agnhost-2), with
// what its Dockerfile adds (/uploads, porter's test certificate, the user and group some
// specs expect in the image) on a Debian userland instead of Alpine, with the programs the
// specs run in it. Its tag must be the program's version, or agnhostPrevious (a stand-in).
func agnhost(b *builder, tag string) (*image, error) {
	bin, version, err := b.agnhostProgram()
	if err != nil {
		return nil, err
	}
	labels := map[string]string{}
	switch tag {
	case version:
	case agnhostPrevious:
		labels[standInLabel] = "agnhost " + version + ": agnhost " + agnhostPrevious + " is in no release's sources"
	default:
		return nil, fmt.Errorf("agnhost is version %s, the image is tagged %s", version, tag)
	}
	dir, err := b.testImageSource("agnhost", version)
	if err != nil {
		return nil, err
	}
	suite, err := debianSuiteOf(filepath.Join(dir, "..", "glibc-dns-testing"))
	if err != nil {
		return nil, err
	}
	base, err := b.debianLayer(testImageSystem(suite))
	if err != nil {
		return nil, err
	}
	t := newTree()
	if err := t.copyFile(bin, "/agnhost"); err != nil {
		return nil, err
	}
	t.symlink("/agnhost-2", "agnhost")
	t.dir("/uploads", 0o755)
	for _, f := range []string{"localhost.crt", "localhost.key"} {
		if err := t.copyFile(filepath.Join(dir, "porter", f), "/"+f); err != nil {
			return nil, err
		}
	}
	// The Dockerfile's adduser/addgroup: user-defined-in-image (1000) in
	// group-defined-in-image (50000).
	for _, acct := range []struct{ file, line string }{
		{"etc/passwd", "user-defined-in-image:x:1000:1000::/home/user-defined-in-image:/bin/sh\n"},
		{"etc/group", "user-defined-in-image:x:1000:\ngroup-defined-in-image:x:50000:user-defined-in-image\n"},
	} {
		data, err := tarMember(base, acct.file)
		if err != nil {
			return nil, err
		}
		t.inline("/"+acct.file, 0o644, append(bytes.Clone(data), acct.line...))
	}
	t.dir("/home/user-defined-in-image", 0o755)
	return &image{baseLayers: []string{base}, files: t, entrypoint: []string{"/agnhost"}, cmd: []string{"pause"}, labels: labels}, nil
}

// busyboxSuites is the Debian suite whose busybox-static is a given BusyBox release.
var busyboxSuites = map[string]string{"1.37.0": "trixie"}

// busyboxTag matches the e2e busybox tags: the BusyBox release and an image revision.
var busyboxTag = regexp.MustCompile(`^([0-9]+\.[0-9]+\.[0-9]+)-[0-9]+$`)

// busybox makes the busybox image as upstream's (busybox:RELEASE): BusyBox at /bin/busybox
// with a link per applet in /bin, here Debian's static build of that release.
func busybox(b *builder, tag string) (*image, error) {
	m := busyboxTag.FindStringSubmatch(tag)
	if m == nil {
		return nil, fmt.Errorf("busybox image tag %q: want RELEASE-REVISION", tag)
	}
	suite, ok := busyboxSuites[m[1]]
	if !ok {
		return nil, fmt.Errorf("no Debian suite known to have BusyBox %s", m[1])
	}
	layer, err := b.debianLayer(debianSystem{suite: suite, variant: "extract", packages: []string{"busybox-static"}})
	if err != nil {
		return nil, err
	}
	data, err := tarMember(layer, "usr/bin/busybox")
	if err != nil {
		return nil, err
	}
	prog := filepath.Join(b.workDir, "busybox-"+m[1])
	if err := os.WriteFile(prog, data, 0o755); err != nil {
		return nil, err
	}
	out, err := exec.Command(prog, "--help").CombinedOutput()
	if !bytes.HasPrefix(out, []byte("BusyBox v"+m[1]+" ")) {
		return nil, fmt.Errorf("Debian %s's busybox is not BusyBox %s (%v): %.60s", suite, m[1], err, out)
	}
	list, err := exec.Command(prog, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("busybox --list: %w", err)
	}
	t := newTree()
	t.base()
	if err := t.copyFile(prog, "/bin/busybox"); err != nil {
		return nil, err
	}
	for _, applet := range strings.Fields(string(list)) {
		if applet != "busybox" {
			t.symlink("/bin/"+applet, "busybox")
		}
	}
	return &image{files: t, cmd: []string{"sh"}}, nil
}
