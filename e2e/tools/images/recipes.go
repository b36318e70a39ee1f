package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// image is what a recipe makes: layers (tar files) of a base system, if any, then one
// layer's files, and the image configuration.
type image struct {
	baseLayers []string
	files      *tree
	entrypoint []string
	cmd        []string
	user       string
	labels     map[string]string
}

// recipe builds the image of a repository at a tag.
type recipe func(b *builder, tag string) (*image, error)

// recipes are keyed by the last components of the repository name, so that a cluster with its
// own imageRepository gets the same images under its names.
var recipes = map[string]recipe{
	"kube-apiserver":          kubernetesProgram("kube-apiserver"),
	"kube-controller-manager": kubernetesProgram("kube-controller-manager"),
	"kube-scheduler":          kubernetesProgram("kube-scheduler"),
	"kube-proxy":              kubeProxy,
	"etcd":                    etcd,
	"coredns/coredns":         coreDNS,
	"pause":                   pause,
	"kubeforge-e2e/toolbox":   toolbox,
	// The conformance suite's (testimages.go).
	"e2e-test-images/agnhost":           agnhost,
	"e2e-test-images/glibc-dns-testing": glibcDNSTesting,
	"e2e-test-images/busybox":           busybox,
}

// recipeFor returns the recipe of a repository name ("coredns/coredns",
// "prod-registry/kube-proxy").
func recipeFor(repository string) (recipe, bool) {
	for name, r := range recipes {
		if repository == name || strings.HasSuffix(repository, "/"+name) {
			return r, true
		}
	}
	return nil, false
}

// binPath is where a Kubernetes image has its program and where PATH finds it.
const binPath = "/usr/local/bin"

// imagePath is the PATH of every image.
const imagePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// kubernetesProgram makes the image of a control-plane program: the cached real binary, whose
// version must be the tag, at /usr/local/bin as in the official images.
func kubernetesProgram(name string) recipe {
	return func(b *builder, tag string) (*image, error) {
		t := newTree()
		t.base()
		if err := b.addKubernetesBinary(t, name, tag); err != nil {
			return nil, err
		}
		return &image{files: t, entrypoint: []string{binPath + "/" + name}}, nil
	}
}

// addKubernetesBinary adds a binary of the binaries directory at /usr/local/bin, with the
// libraries it links, after checking that it is the tag's version.
func (b *builder) addKubernetesBinary(t *tree, name, tag string) error {
	src := filepath.Join(b.binDir, name)
	out, err := exec.Command(src, "--version").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s --version: %v: %s", src, err, out)
	}
	if got := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "Kubernetes ")); got != tag {
		return fmt.Errorf("%s is %s, the image is tagged %s: build the binaries of that release", src, got, tag)
	}
	if err := t.copyFile(src, binPath+"/"+name); err != nil {
		return err
	}
	return t.librariesOf(src)
}

// kubeProxyPrograms are the programs kube-proxy runs in iptables and nftables mode, taken from
// this machine's Debian packages (iptables through Debian's alternatives, nft backend).
var kubeProxyPrograms = []string{
	"/usr/sbin/iptables", "/usr/sbin/iptables-save", "/usr/sbin/iptables-restore",
	"/usr/sbin/ip6tables", "/usr/sbin/ip6tables-save", "/usr/sbin/ip6tables-restore",
	"/usr/sbin/nft",
}

// xtablesModules is where iptables loads its match and target extensions from at run time
// (dlopen: ldd does not list them).
const xtablesModules = "/usr/lib/x86_64-linux-gnu/xtables"

// kubeProxy makes kube-proxy's image: the binary and the iptables and nft programs it execs,
// with their extensions and libraries.
func kubeProxy(b *builder, tag string) (*image, error) {
	t := newTree()
	t.base()
	if err := b.addKubernetesBinary(t, "kube-proxy", tag); err != nil {
		return nil, err
	}
	for _, p := range kubeProxyPrograms {
		if err := t.program(p); err != nil {
			return nil, fmt.Errorf("%w (install Debian's iptables and nftables)", err)
		}
	}
	mods, err := filepath.Glob(xtablesModules + "/*.so")
	if err != nil || len(mods) == 0 {
		return nil, fmt.Errorf("no iptables extensions in %s", xtablesModules)
	}
	for _, m := range mods {
		if err := t.program(m); err != nil {
			return nil, err
		}
	}
	// Protocol and service names iptables and nft resolve.
	for _, f := range []string{"/etc/protocols", "/etc/services", "/etc/ethertypes"} {
		if _, err := os.Stat(f); err == nil {
			if err := t.hostPath(f); err != nil {
				return nil, err
			}
		}
	}
	return &image{files: t, entrypoint: []string{binPath + "/kube-proxy"}}, nil
}

// etcdTag matches kubeadm's etcd image tags, "3.7.0-0": the etcd release and an image revision.
var etcdTag = regexp.MustCompile(`^v?([0-9]+\.[0-9]+\.[0-9]+)-[0-9]+$`)

// etcd makes etcd's image from the etcd release the tag names, built from its Go modules.
func etcd(b *builder, tag string) (*image, error) {
	m := etcdTag.FindStringSubmatch(tag)
	if m == nil {
		return nil, fmt.Errorf("etcd image tag %q: want MAJOR.MINOR.PATCH-REV", tag)
	}
	version := "v" + m[1]
	out, err := b.goBuild("etcd-"+version, []string{"go.etcd.io/etcd/server/v3@" + version, "go.etcd.io/etcd/etcdctl/v3@" + version},
		map[string]string{"etcd": "go.etcd.io/etcd/server/v3", "etcdctl": "go.etcd.io/etcd/etcdctl/v3"}, "")
	if err != nil {
		return nil, err
	}
	t := newTree()
	t.base()
	for _, name := range []string{"etcd", "etcdctl"} {
		if err := t.copyFile(filepath.Join(out, name), binPath+"/"+name); err != nil {
			return nil, err
		}
	}
	t.dir("/var/lib/etcd", 0o700)
	return &image{files: t, entrypoint: []string{binPath + "/etcd"}}, nil
}

// coreDNS makes CoreDNS's image from the release the tag names, built from its Go module,
// with the program at /coredns as in the official image.
func coreDNS(b *builder, tag string) (*image, error) {
	ldflags := "-X github.com/coredns/coredns/coremain.GitCommit=kubeforge-e2e"
	out, err := b.goBuild("coredns-"+tag, []string{"github.com/coredns/coredns@" + tag},
		map[string]string{"coredns": "github.com/coredns/coredns"}, ldflags)
	if err != nil {
		return nil, err
	}
	t := newTree()
	t.base()
	if err := t.copyFile(filepath.Join(out, "coredns"), "/coredns"); err != nil {
		return nil, err
	}
	return &image{files: t, entrypoint: []string{"/coredns"}}, nil
}

// pauseMakefileTag is the version line of the pause Makefile in the Kubernetes source.
var pauseMakefileTag = regexp.MustCompile(`(?m)^TAG \?= (\S+)$`)

// pause makes the sandbox image: pause.c of the Kubernetes release the binaries are, compiled
// statically as its Makefile does, when that release's pause is the tag's version.
func pause(b *builder, tag string) (*image, error) {
	src, err := b.kubernetesSource()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(src, "build", "pause")
	mk, err := os.ReadFile(filepath.Join(dir, "Makefile"))
	if err != nil {
		return nil, err
	}
	m := pauseMakefileTag.FindSubmatch(mk)
	if m == nil || string(m[1]) != tag {
		return nil, fmt.Errorf("the pause source of Kubernetes %s is version %q, the image is tagged %s", b.k8sVersion, m, tag)
	}
	out := filepath.Join(b.workDir, "pause-"+tag)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	bin := filepath.Join(out, "pause")
	cmd := exec.Command("gcc", "-Os", "-Wall", "-Werror", "-static", "-DVERSION=v"+tag+"-kubeforge-e2e", "-o", bin, filepath.Join(dir, "linux", "pause.c"))
	if o, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("gcc pause.c: %v: %s", err, o)
	}
	t := newTree()
	if err := t.copyFile(bin, "/pause"); err != nil {
		return nil, err
	}
	return &image{files: t, entrypoint: []string{"/pause"}, user: "65535:65535"}, nil
}

// toolbox makes the test pods' image: Debian's busybox-static with a link per applet (sh,
// nslookup, nc, ...) and curl with its libraries. The tag is the suite's own.
func toolbox(b *builder, tag string) (*image, error) {
	t := newTree()
	t.base()
	const busybox = "/bin/busybox"
	if err := t.copyFile("/usr/bin/busybox", busybox); err != nil {
		return nil, fmt.Errorf("%w (install Debian's busybox-static)", err)
	}
	if err := t.librariesOf("/usr/bin/busybox"); err != nil {
		return nil, err
	}
	out, err := exec.Command("/usr/bin/busybox", "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("busybox --list-full: %w", err)
	}
	for _, applet := range strings.Fields(string(out)) {
		p := "/" + applet
		if p != busybox {
			t.symlink(p, busybox)
		}
	}
	if err := t.program("/usr/bin/curl"); err != nil {
		return nil, err
	}
	return &image{files: t, cmd: []string{"sh"}}, nil
}
