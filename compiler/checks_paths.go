package compiler

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// protectedDirs are host directories that a read-write hostPath mount must neither be, lie
// inside, nor contain. etcd's data directory is such a mount (DirectoryOrCreate): etcd
// creates its member/ tree there and tightens the directory to 0700, and whoever takes over
// the etcd container can change everything below it. The list holds what that would damage:
// kubeforge's own trees (the cluster's keys, the kubelet's credentials and pods' volumes),
// the system's programs, libraries, configuration and boot files, the kernel's interfaces, and
// trees the system empties (a data directory there is lost at reboot or cleaned by
// systemd-tmpfiles). Parents count too: /var or /var/lib would mount /var/lib/kubelet.
var protectedDirs = []struct{ dir, what string }{
	{KubernetesDir, "the cluster's keys, kubeconfigs and static pod manifests"},
	{KubeletDir, "the kubelet's credentials and the pods' volumes"},
	{"/etc", "the host's configuration"},
	{"/usr", "the host's programs and libraries"},
	{"/bin", "the host's programs"},
	{"/sbin", "the host's programs"},
	{"/lib", "the host's libraries and kernel modules"},
	{"/lib32", "the host's libraries"},
	{"/lib64", "the host's libraries"},
	{"/libx32", "the host's libraries"},
	{"/boot", "the kernel and the boot loader"},
	{"/dev", "the device nodes"},
	{"/proc", "the kernel's process interface"},
	{"/sys", "the kernel's device interface"},
	{"/run", "runtime state on a tmpfs, emptied at every boot"},
	{"/var/run", "runtime state (a link to /run), emptied at every boot"},
	{"/tmp", "temporary files, cleaned by systemd-tmpfiles and often a tmpfs"},
	{"/var/tmp", "temporary files, cleaned by systemd-tmpfiles"},
}

// within reports whether p is dir or lies below it.
func within(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// paths checks every absolute host path of the description: written clean, as mounts and
// configs use it verbatim, and etcd's data directory clear of the protected directories.
func (k *checker) paths() {
	c := k.c
	k.cleanPath("etcd.dataDir", c.Etcd.DataDir)
	if c.Etcd.Topology != EtcdExternal {
		k.etcdDataDir(path.Clean(c.Etcd.DataDir))
	}
	if sock, ok := strings.CutPrefix(c.Runtime.CRISocket, "unix://"); ok {
		k.cleanPath("containerRuntime.criSocket", sock)
	}
	for _, f := range kubeletPaths {
		k.forEachDistinct(f.field, func(h *Host, p string) {
			// "" means unset, or for resolvConf and clientCAFile, none.
			if v := f.value(h.Kubelet); v != "" {
				k.cleanPath(p, v)
			}
		})
	}
}

// kubeletPaths are the kubelet fields holding host paths (or, for the reserved cgroups,
// cgroup paths, which the same rule fits).
var kubeletPaths = []struct {
	field string
	value func(Kubelet) string
}{
	{"resolvConf", func(kl Kubelet) string { return kl.ResolvConf }},
	{"clientCAFile", func(kl Kubelet) string { return kl.ClientCAFile }},
	{"systemReservedCgroup", func(kl Kubelet) string { return kl.SystemReservedCgroup }},
	{"kubeReservedCgroup", func(kl Kubelet) string { return kl.KubeReservedCgroup }},
}

func (k *checker) cleanPath(at, p string) {
	if clean := path.Clean(p); clean != p {
		k.errorf(diag.CodeUncleanPath, at, fmt.Sprintf("write %s; paths are used as written, and '..', '.', '//' or a trailing '/' make them mean something else than they seem", clean), "%s is not a clean path", p)
	}
}

func (k *checker) etcdDataDir(p string) {
	for _, d := range protectedDirs {
		var how string
		switch {
		case p == d.dir:
			how = "is"
		case within(p, d.dir):
			how = "lies inside"
		case within(d.dir, p):
			how = "contains"
		default:
			continue
		}
		k.errorf(diag.CodeEtcdDataDirShared, "etcd.dataDir", fmt.Sprintf("%s holds %s; the data directory is mounted read-write into etcd, which takes it over; use a directory of its own such as /var/lib/etcd or /data/etcd", d.dir, d.what),
			"etcd data directory %s %s %s", p, how, d.dir)
		return
	}
}

// writableMounts checks the host directories that extra args make the static pods mount
// read-write. A log, a socket or a plugin may live inside a system tree (/var/log,
// /run/kubernetes, /usr/libexec/kubernetes), but the mount must not be a protected directory
// itself or hold one: audit-log-path: /etc/audit.log would give the apiserver all of /etc.
func (k *checker) writableMounts() {
	for _, f := range WritablePathFlags {
		set := k.argsOf(f.Component)[f.Flag]
		for _, at := range slices.Sorted(maps.Keys(set)) {
			v := set[at]
			if !path.IsAbs(v) {
				continue // "-" is standard output; nothing is mounted
			}
			k.cleanPath(at, v)
			dir := path.Clean(v)
			if !f.Dir {
				dir = path.Dir(dir)
			}
			for _, d := range protectedDirs {
				if within(d.dir, dir) {
					k.errorf(diag.CodeComponentDirShared, at, fmt.Sprintf("%s holds %s; give the component a directory of its own, such as /var/log/kubernetes for logs", d.dir, d.what),
						"--%s would mount %s read-write into %s", f.Flag, dir, componentNames[f.Component])
					break
				}
			}
		}
	}
}
