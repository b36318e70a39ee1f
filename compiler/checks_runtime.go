package compiler

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// dockerHubNames are the names containerd and CRI-O both resolve to Docker Hub: mirrors under
// two of them in one list would make two configurations for one registry.
var dockerHubNames = map[string]bool{"docker.io": true, "index.docker.io": true, "registry-1.docker.io": true}

// runtimeConfig checks the runtime's own configuration: the containerd release against the
// file kubeforge writes, and every registry mirror list, once per list written.
func (k *checker) runtimeConfig() {
	c := k.c
	if c.Runtime.Kind == "containerd" && !c.Runtime.Containerd.Complete && !c.Runtime.Containerd.ImportsDropIns() {
		path := k.firstWritten("containerRuntime.containerd.config", "containerRuntime.containerd.version")
		k.warnf(diag.CodeContainerdNoDropIn, path, fmt.Sprintf("add imports = [\"/etc/containerd/conf.d/*.toml\"] to the hosts' %s, or set containerRuntime.containerd.config: complete; without it the cgroup driver and sandbox image kubeforge writes are not read. containerd 1.x replaces config.toml's CRI plugin section with the drop-in's rather than merging them: settings of that section in config.toml (such as Debian's cni bin_dir) fall back to their defaults", ContainerdConfigPath),
			"the stock configuration of containerd %s does not import the drop-in %s", c.Runtime.Containerd, ContainerdDropInPath)
	}
	seen := map[string]bool{}
	lists := map[string][]Registry{} // layer path → its registries, for names written twice
	for _, regs := range append([][]Registry{c.Runtime.Registries}, hostsRegistries(c)...) {
		for _, r := range regs {
			if seen[r.Origin] {
				continue
			}
			seen[r.Origin] = true
			lists[r.List] = append(lists[r.List], r)
			k.registry(r)
		}
	}
	for _, regs := range lists {
		k.registriesNamedTwice(regs)
	}
	k.imageRepositoryMirrors()
}

// imageRepositoryMirrors warns, once per mirror list written on the hosts, when the registry
// of imageRepository has mirrors and every one is unverified (plainHTTP or skipVerify). Both
// runtimes try a registry's mirrors in order and fall back to the registry itself (https,
// verified) only when every mirror fails: a registry name that only mirrors serve (air-gapped)
// is fine with a verified mirror, but with none the control plane's and every pod sandbox's
// images have no verified source, and where the registry is reachable the unverified mirrors
// still answer first. An http URL without plainHTTP is refused already (KF2010).
func (k *checker) imageRepositoryMirrors() {
	c := k.c
	if c.Runtime.Kind == "cri-dockerd" {
		return // mirrors are refused (KF2006)
	}
	registry := imageRegistry(c.ImageRepository)
	path := "imageRepository"
	seen := map[string]bool{}
	for _, h := range c.Hosts {
		for _, r := range h.Registries {
			if seen[r.Origin] || r.Name != registry || !allUnverified(r.Mirrors) {
				continue
			}
			seen[r.Origin] = true
			at, list := path, " ("+r.Origin+")"
			if !k.loc.Written(path) {
				at, list = r.Origin, "" // the default applies: point at the mirrors
			}
			k.warnf(diag.CodeImageRepositoryUnverified, at,
				fmt.Sprintf("containerd and CRI-O try %[1]s's mirrors first and fall back to %[1]s itself only when all fail: where only mirrors serve %[1]s (an air-gapped name), no image of the control plane (which holds the cluster's keys) or of the pod sandbox is verified; where %[1]s is reachable, an attacker on a mirror's path still answers first. Give one mirror its CA (caFile) or a trusted https certificate, and list it first", registry),
				"imageRepository %s comes only through unverified mirrors%s on %s", c.ImageRepository, list, h.Name)
		}
	}
}

// imageRegistry returns the registry whose hosts.toml or registries.conf entry the pulls of
// an image repository's images (repo/name:tag) use: the repository's first component when that
// has a '.' or a ':' or is localhost, else Docker Hub, whose legacy name index.docker.io is read
// as docker.io.
func imageRegistry(repo string) string {
	first, _, _ := strings.Cut(repo, "/")
	if first != "localhost" && !strings.ContainsAny(first, ".:") || first == "index.docker.io" {
		return "docker.io"
	}
	return first
}

// allUnverified reports whether every mirror is used without verifying it, by the
// description's own opt-ins.
func allUnverified(ms []Mirror) bool {
	for _, m := range ms {
		if !m.PlainHTTP && !m.SkipVerify {
			return false
		}
	}
	return len(ms) > 0
}

func hostsRegistries(c *Cluster) [][]Registry {
	out := make([][]Registry, len(c.Hosts))
	for i, h := range c.Hosts {
		out[i] = h.Registries
	}
	return out
}

// registry checks one registry's name and mirrors.
func (k *checker) registry(r Registry) {
	if r.Name != "localhost" && !strings.ContainsAny(r.Name, ".:[") {
		k.errorf(diag.CodeNotARegistry, r.Origin, "an image name's first component is its registry only when it has a '.' or a ':' or is localhost; images named "+r.Name+"/... come from docker.io, so these mirrors would never be used",
			"%q is not read as a registry", r.Name)
	}
	if len(r.Name) > 253 {
		k.errorf(diag.CodeRegistryNameTooLong, r.Origin, "a host name has at most 253 characters", "registry name of %d characters", len(r.Name))
	}
	if _, port, ok := cutPort(r.Name); ok && !validPort(port) {
		k.errorf(diag.CodeRegistryPort, r.Origin, "expected a port from 1 to 65535", "registry %q has an invalid port", r.Name)
	}
	if host, _, _ := cutPort(r.Name); strings.HasPrefix(host, "[") {
		if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err != nil {
			k.errorf(diag.CodeRegistryAddress, r.Origin, "expected an IPv6 address in brackets", "registry %q has an invalid address", r.Name)
		}
	}
	if k.c.Runtime.Kind == "cri-dockerd" {
		k.errorf(diag.CodeMirrorsUnsupported, r.Origin, "Docker's daemon takes mirrors only for Docker Hub, in /etc/docker/daemon.json, which kubeforge does not write; use containerd or CRI-O, or configure Docker yourself",
			"registry mirrors are not supported with cri-dockerd")
	}
	urls := map[string]string{}
	for _, m := range r.Mirrors {
		k.mirror(r, m)
		key := strings.ToLower(strings.TrimSuffix(m.URL, "/"))
		if prev, ok := urls[key]; ok {
			k.errorf(diag.CodeMirrorTwice, m.FieldPath("url"), "already listed at "+prev, "mirror %s listed twice for %s", m.URL, r.Name)
		}
		urls[key] = m.FieldPath("url")
	}
}

// mirror checks one mirror: https unless opted out, and the insecure choices warned.
func (k *checker) mirror(r Registry, m Mirror) {
	host, port, hasPort := cutPort(m.Host())
	if hasPort && !validPort(port) {
		k.errorf(diag.CodeMirrorPort, m.FieldPath("url"), "expected a port from 1 to 65535", "mirror %s has an invalid port", m.URL)
	}
	if strings.HasPrefix(host, "[") {
		if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err != nil {
			k.errorf(diag.CodeMirrorAddress, m.FieldPath("url"), "expected an IPv6 address in brackets", "mirror %s has an invalid address", m.URL)
		}
	}
	switch {
	case m.Scheme() == "http" && !m.PlainHTTP:
		k.errorf(diag.CodeMirrorNotHTTPS, m.FieldPath("url"), "images would travel unauthenticated and could be replaced on the way; use https, or write the mirror as {url: "+m.URL+", plainHTTP: true} to accept that",
			"mirror %s of %s is not https", m.URL, r.Name)
	case m.Scheme() == "https" && m.PlainHTTP:
		k.errorf(diag.CodePlainHTTPOnHTTPS, m.FieldPath("plainHTTP"), "plainHTTP allows an http:// URL; remove it or write the URL with http://", "plainHTTP is set on the https mirror %s", m.URL)
	case m.PlainHTTP:
		k.warnf(diag.CodeMirrorPlainHTTP, m.FieldPath("plainHTTP"), "images and their digests travel unauthenticated: anyone on the path can serve other images", "mirror %s of %s is plain http", m.URL, r.Name)
	}
	if m.SkipVerify {
		k.warnf(diag.CodeMirrorSkipVerify, m.FieldPath("skipVerify"), "anyone on the path can impersonate the mirror and serve other images; give its CA with caFile instead", "mirror %s of %s is used without verifying its certificate", m.URL, r.Name)
	}
	if m.CAFile != "" && k.c.Runtime.Kind == "cri-o" {
		k.errorf(diag.CodeMirrorCAFileUnsupported, m.FieldPath("caFile"), "CRI-O reads a registry's CA from /etc/containers/certs.d/"+m.Host()+"/*.crt; put the certificate there instead", "caFile is not supported with CRI-O")
	}
}

// registriesNamedTwice reports names of one list that denote the same registry: names equal
// but for case, a :443 port or a Docker Hub alias.
func (k *checker) registriesNamedTwice(regs []Registry) {
	first := map[string]Registry{}
	for _, r := range regs {
		key := strings.ToLower(strings.TrimSuffix(r.Name, ":443"))
		if dockerHubNames[key] {
			key = "docker.io"
		}
		if prev, ok := first[key]; ok {
			k.errorf(diag.CodeRegistryNamedTwice, r.Origin, fmt.Sprintf("%s names the same registry; merge the two lists", prev.Origin), "registry %s named twice", r.Name)
			continue
		}
		first[key] = r
	}
}

// cutPort splits host:port ([v6]:port, the brackets kept); ok is false without a port.
func cutPort(s string) (host, port string, ok bool) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return s, "", false
	}
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return h, p, true
}

func validPort(p string) bool {
	_, ok := parsePort(p)
	return ok
}

// parsePort returns the TCP or UDP port s names, and false unless it is 1 to 65535.
func parsePort(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1 && n <= 65535
}
