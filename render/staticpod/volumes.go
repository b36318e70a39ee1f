package staticpod

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"kubeforge.dev/kubeforge/compiler"
)

// mounts are a component's hostPath volumes, each mounted at the same path in the container.
type mounts struct {
	list []mount
}

type mount struct {
	name     string
	path     string
	kind     corev1.HostPathType
	readOnly bool
}

// isDir reports whether the mount is a directory, whose subpaths it also makes visible.
func (m mount) isDir() bool {
	return m.kind == corev1.HostPathDirectoryOrCreate || m.kind == corev1.HostPathDirectory
}

// add mounts hostPath p as volume name. A name already taken by another path gets a suffix
// from p's digest, so every path keeps its own volume.
func (ms *mounts) add(name, p string, kind corev1.HostPathType, readOnly bool) {
	for _, m := range ms.list {
		if m.name == name {
			name = hashedName(name, p)
			break
		}
	}
	ms.list = append(ms.list, mount{name: name, path: p, kind: kind, readOnly: readOnly})
}

// covers reports whether p is already visible in the container (writable, if asked).
func (ms *mounts) covers(p string, writable bool) bool {
	for _, m := range ms.list {
		if writable && m.readOnly {
			continue
		}
		if p == m.path || m.isDir() && strings.HasPrefix(p, strings.TrimSuffix(m.path, "/")+"/") {
			return true
		}
	}
	return false
}

// volumes returns the pod's volumes, sorted by name as kubeadm sorts them.
func (ms *mounts) volumes() []corev1.Volume {
	var out []corev1.Volume
	for _, m := range ms.sorted() {
		kind := m.kind
		out = append(out, corev1.Volume{
			Name:         m.name,
			VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: m.path, Type: &kind}},
		})
	}
	return out
}

// volumeMounts returns the container's mounts, sorted by name.
func (ms *mounts) volumeMounts() []corev1.VolumeMount {
	var out []corev1.VolumeMount
	for _, m := range ms.sorted() {
		out = append(out, corev1.VolumeMount{Name: m.name, MountPath: m.path, ReadOnly: m.readOnly})
	}
	return out
}

func (ms *mounts) sorted() []mount {
	return slices.SortedFunc(slices.Values(ms.list), func(a, b mount) int { return cmp.Compare(a.name, b.name) })
}

// caCertDirs are the CA bundle directories kubeadm may mount, with its volume names.
var caCertDirs = []struct{ name, path string }{
	{"ca-certs", compiler.SSLCertsDir},
	{"etc-ca-certificates", compiler.CACertificatesDir},
	{"etc-pki-ca-trust", compiler.PKICATrustDir},
	{"etc-pki-tls-certs", compiler.PKITLSCertsDir},
	{"usr-local-share-ca-certificates", compiler.LocalCACertificatesDir},
	{"usr-share-ca-certificates", compiler.ShareCACertificatesDir},
}

// addCACertDirs mounts read-only the CA bundle directories h's OS family has, as kubeadm
// mounts those it finds; DirectoryOrCreate would create the others.
func (ms *mounts) addCACertDirs(h *compiler.Host) {
	have := h.CATrustDirs()
	for _, d := range caCertDirs {
		if slices.Contains(have, d.path) {
			ms.add(d.name, d.path, corev1.HostPathDirectoryOrCreate, true)
		}
	}
}

// addFlagPaths mounts what the component's flags name and no mount shows yet: a file it
// reads, read-only, as the file itself; a file it writes, through its directory, writable;
// a directory it writes, writable. This is how an extra arg such as audit-log-path reaches
// the host.
func (ms *mounts) addFlagPaths(uses map[string]pathUse, f flags) {
	for _, name := range f.names() {
		use, ok := uses[name]
		if !ok {
			continue
		}
		v, _ := f.get(name)
		if !path.IsAbs(v) {
			// "-" (stdout), empty or relative: nothing on the host to mount.
			continue
		}
		p := path.Clean(v)
		switch use {
		case readsFile:
			if !ms.covers(p, false) {
				ms.add(volumeName(p), p, corev1.HostPathFile, true)
			}
		case writesFile:
			if dir := path.Dir(p); !ms.covers(p, true) {
				ms.add(volumeName(dir), dir, corev1.HostPathDirectoryOrCreate, false)
			}
		case writesDir:
			if !ms.covers(p, true) {
				ms.add(volumeName(p), p, corev1.HostPathDirectoryOrCreate, false)
			}
		}
	}
}

// volumeName returns a volume name (a DNS label) spelling path p: /var/log/audit becomes
// var-log-audit, as kubeadm names its CA directory volumes.
func volumeName(p string) string {
	var b strings.Builder
	dash := true // no leading dash
	for _, r := range strings.ToLower(p) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.TrimSuffix(b.String(), "-")
	if name == "" || len(name) > 63 {
		return hashedName(name, p)
	}
	return name
}

// hashedName returns name shortened to leave room for a suffix from p's digest: unique per
// path and still a DNS label.
func hashedName(name, p string) string {
	sum := sha256.Sum256([]byte(p))
	suffix := hex.EncodeToString(sum[:4])
	if len(name) > 63-len(suffix)-1 {
		name = strings.TrimSuffix(name[:63-len(suffix)-1], "-")
	}
	if name == "" {
		return "path-" + suffix
	}
	return name + "-" + suffix
}
