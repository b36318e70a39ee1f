package compiler

import (
	"fmt"
	"math"
	"strings"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// The version skew policy (https://kubernetes.io/releases/version-skew-policy/) as a table:
// each rule bounds how many minors a component may be newer or older than what it is
// compared with. Hosts may run other versions than the cluster's (Host.Version) during a
// rolling upgrade; the cluster's version is the cluster bundle's.

// SkewComponent is a component whose version the policy bounds.
type SkewComponent string

const (
	SkewAPIServer SkewComponent = "kube-apiserver"
	// SkewControllers are the controller-manager and the scheduler: they run on every
	// control-plane host at the host's version, and dial the host's own apiserver
	// (controller-manager.conf and scheduler.conf, as kubeadm writes them).
	SkewControllers SkewComponent = "kube-controller-manager and kube-scheduler"
	SkewKubelet     SkewComponent = "kubelet"
	// SkewBundle is the cluster bundle at the cluster's version: kube-proxy's image,
	// CoreDNS's (from the version table) and kubeadm-config's kubernetesVersion.
	SkewBundle SkewComponent = "the cluster bundle (kube-proxy, CoreDNS, kubeadm-config)"
	// SkewKubeProxy is the bundle's kube-proxy DaemonSet, when the addon is enabled.
	SkewKubeProxy SkewComponent = "kube-proxy"
)

// SkewReference is what a rule compares a component's instances with.
type SkewReference string

const (
	SkewOldestAPIServer SkewReference = "the oldest kube-apiserver"
	SkewNewestAPIServer SkewReference = "the newest kube-apiserver"
	// SkewDialedAPIServer is the apiserver an instance on a host dials: on a control-plane
	// host its own (kubeadm writes kubelet.conf, controller-manager.conf and scheduler.conf
	// so, and kubeforge likewise), elsewhere any of them through the endpoint, so the oldest.
	SkewDialedAPIServer SkewReference = "the kube-apiserver it dials"
	SkewEachKubelet     SkewReference = "a kubelet"
	SkewTheKubeProxy    SkewReference = "kube-proxy"
)

// Unbounded is a rule side without a limit.
const Unbounded = math.MaxInt

// SkewRule bounds the minors by which each instance of Subject may be newer (MaxNewer) or
// older (MaxOlder) than Reference.
type SkewRule struct {
	Subject   SkewComponent
	Reference SkewReference
	MaxNewer  int
	MaxOlder  int
	Code      diag.Code
	Severity  diag.Severity
	// Policy is what the published policy (or, for the bundle's rules, kubeadm) says.
	Policy string
}

// SkewRules is the policy for the supported minors. Warnings mark what the policy supports
// for the time of an upgrade but does not recommend staying in.
var SkewRules = []SkewRule{
	{SkewAPIServer, SkewOldestAPIServer, 1, Unbounded, diag.CodeSkewAPIServers, diag.Error,
		"the newest and oldest kube-apiserver instances must be within one minor version"},
	{SkewControllers, SkewDialedAPIServer, 0, Unbounded, diag.CodeSkewControllersNewer, diag.Error,
		"kube-controller-manager and kube-scheduler must not be newer than the kube-apiserver instances they communicate with"},
	{SkewControllers, SkewNewestAPIServer, Unbounded, 1, diag.CodeSkewControllersTooOld, diag.Error,
		"kube-controller-manager and kube-scheduler may be up to one minor version older than kube-apiserver"},
	{SkewControllers, SkewNewestAPIServer, Unbounded, 0, diag.CodeSkewControllersOlder, diag.Warning,
		"kube-controller-manager and kube-scheduler are expected to match the kube-apiserver minor version; one older is to allow live upgrades"},
	{SkewKubelet, SkewDialedAPIServer, 0, Unbounded, diag.CodeSkewKubeletNewer, diag.Error,
		"kubelet must not be newer than kube-apiserver; a kubelet that reaches the apiservers through the endpoint meets the oldest"},
	{SkewKubelet, SkewNewestAPIServer, Unbounded, 3, diag.CodeSkewKubeletTooOld, diag.Error,
		"kubelet may be up to three minor versions older than kube-apiserver"},
	{SkewKubelet, SkewNewestAPIServer, Unbounded, 2, diag.CodeSkewKubeletThreeOlder, diag.Warning,
		"kubelets three minor versions behind kube-apiserver must be upgraded before the control plane can be"},
	{SkewBundle, SkewOldestAPIServer, 0, Unbounded, diag.CodeSkewBundleNewer, diag.Error,
		"kube-proxy must not be newer than kube-apiserver; kubeadm moves CoreDNS and kubeadm-config with it, once every control-plane host is upgraded"},
	{SkewBundle, SkewOldestAPIServer, Unbounded, 0, diag.CodeSkewBundleBehind, diag.Warning,
		"kubeadm upgrades kube-proxy and CoreDNS (CoreDNS of the newest kube-apiserver's release) as soon as the last control-plane host is upgraded"},
	{SkewKubeProxy, SkewNewestAPIServer, Unbounded, 3, diag.CodeSkewKubeProxyTooOld, diag.Error,
		"kube-proxy may be up to three minor versions older than kube-apiserver"},
	{SkewKubeProxy, SkewEachKubelet, 3, 3, diag.CodeSkewKubeProxyKubelet, diag.Error,
		"kube-proxy may be up to three minor versions older or newer than the kubelet instance it runs alongside"},
	{SkewKubelet, SkewTheKubeProxy, Unbounded, 0, diag.CodeSkewKubeletOlderThanProxy, diag.Warning,
		"kube-proxy may be newer than the kubelet it runs alongside, as it is during an upgrade until the kubelet follows"},
}

// SkewInstance is one running instance of a component: its version, the description field
// that sets it, and its host (nil for the cluster bundle).
type SkewInstance struct {
	Version Version
	Field   string
	Host    *Host
}

// where names the instance's host, or the cluster bundle.
func (i SkewInstance) where() string {
	if i.Host == nil {
		return "the cluster bundle"
	}
	return i.Host.Name
}

// describe says "cp1, v1.37.2", or "v1.37.2, the cluster's version".
func (i SkewInstance) describe() string {
	if i.Host == nil {
		return i.Version.String() + ", the cluster's version"
	}
	return i.Host.Name + ", " + i.Version.String()
}

// SkewFinding is a rule an instance breaks: Newer is how many minors Subject is newer than
// Reference (negative: older).
type SkewFinding struct {
	Rule               SkewRule
	Subject, Reference SkewInstance
	Newer              int
}

// SkewInstances returns the instances of each component of the cluster.
func SkewInstances(c *Cluster) map[SkewComponent][]SkewInstance {
	out := map[SkewComponent][]SkewInstance{}
	for _, h := range c.Hosts {
		in := SkewInstance{Version: h.Version, Field: h.VersionField, Host: h}
		out[SkewKubelet] = append(out[SkewKubelet], in)
		if h.Has(RoleControlPlane) {
			out[SkewAPIServer] = append(out[SkewAPIServer], in)
			out[SkewControllers] = append(out[SkewControllers], in)
		}
	}
	bundle := SkewInstance{Version: c.Version, Field: "kubernetesVersion"}
	out[SkewBundle] = []SkewInstance{bundle}
	if c.Addons.KubeProxy {
		out[SkewKubeProxy] = []SkewInstance{bundle}
	}
	return out
}

// SkewFindings applies the rules to the instances, in rule order, then subject order.
func SkewFindings(rules []SkewRule, in map[SkewComponent][]SkewInstance) []SkewFinding {
	var out []SkewFinding
	for _, r := range rules {
		for _, s := range in[r.Subject] {
			for _, ref := range skewReferences(r.Reference, s, in) {
				d := s.Version.Minor - ref.Version.Minor
				if d > r.MaxNewer || -d > r.MaxOlder {
					out = append(out, SkewFinding{Rule: r, Subject: s, Reference: ref, Newer: d})
				}
			}
		}
	}
	return out
}

// skewReferences returns what the subject instance s is compared with.
func skewReferences(ref SkewReference, s SkewInstance, in map[SkewComponent][]SkewInstance) []SkewInstance {
	apis := in[SkewAPIServer]
	switch ref {
	case SkewOldestAPIServer, SkewNewestAPIServer:
		if len(apis) == 0 {
			return nil
		}
		pick := apis[0]
		for _, a := range apis[1:] {
			if ref == SkewOldestAPIServer && a.Version.Minor < pick.Version.Minor ||
				ref == SkewNewestAPIServer && a.Version.Minor > pick.Version.Minor {
				pick = a
			}
		}
		return []SkewInstance{pick}
	case SkewDialedAPIServer:
		for _, a := range apis {
			if s.Host != nil && a.Host == s.Host {
				return []SkewInstance{a}
			}
		}
		return skewReferences(SkewOldestAPIServer, s, in)
	case SkewEachKubelet:
		return in[SkewKubelet]
	case SkewTheKubeProxy:
		return in[SkewKubeProxy]
	}
	return nil
}

// versionSkew reports every broken rule once per version field: hosts that take their
// version from one group share the diagnostic.
func (k *checker) versionSkew() {
	type key struct {
		code  diag.Code
		field string
	}
	var order []key
	found := map[key][]SkewFinding{}
	for _, f := range SkewFindings(SkewRules, SkewInstances(k.c)) {
		kk := key{f.Rule.Code, f.Subject.Field}
		if _, ok := found[kk]; !ok {
			order = append(order, kk)
		}
		found[kk] = append(found[kk], f)
	}
	for _, kk := range order {
		fs := found[kk]
		f := fs[0]
		var subjects []string
		seen := map[string]bool{}
		for _, g := range fs {
			if w := g.Subject.where(); !seen[w] {
				seen[w] = true
				subjects = append(subjects, w)
			}
		}
		subject := fmt.Sprintf("%s %s", f.Rule.Subject, f.Subject.Version)
		if f.Subject.Host != nil {
			subject += " of " + listSome(subjects, 3)
		}
		k.report(f.Rule.Code, f.Rule.Severity, f.Subject.Field, skewDetail(f),
			"%s is %s %s (%s)", subject, minorsApart(f.Newer), f.Rule.Reference, f.Reference.describe())
	}
}

// skewDetail quotes the policy and says which field moves the other side.
func skewDetail(f SkewFinding) string {
	return fmt.Sprintf("the version skew policy: %s; the other side's version is set by %s", f.Rule.Policy, f.Reference.Field)
}

// minorsApart says "2 minors newer than" or "1 minor older than".
func minorsApart(newer int) string {
	n, dir := newer, "newer"
	if n < 0 {
		n, dir = -n, "older"
	}
	unit := "minors"
	if n == 1 {
		unit = "minor"
	}
	return fmt.Sprintf("%d %s %s than", n, unit, dir)
}

// listSome names at most n of names, then how many more there are.
func listSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
