package clusterbundle

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/staticpod"
)

// section is a directory of the bundle. kubectl applies a directory in lexical order, so the
// prefixes put what others refer to first: RBAC, then configuration, then nodes, then the
// addons.
type section string

const (
	sectionRBAC   section = "00-rbac"
	sectionConfig section = "10-config"
	sectionNodes  section = "20-nodes"
	// The addons share one directory, so that all their ServiceAccounts, RBAC and ConfigMaps
	// sort before any of their workloads.
	sectionAddons section = "30-addons"
)

// kindRank orders files inside a section: ServiceAccounts, RBAC and ConfigMaps exist before
// the workloads whose pods need them.
var kindRank = map[string]int{
	"Namespace":          0,
	"ServiceAccount":     1,
	"ClusterRole":        2,
	"ClusterRoleBinding": 3,
	"Role":               4,
	"RoleBinding":        5,
	"ConfigMap":          6,
	"Node":               7,
	"Service":            8,
	"DaemonSet":          9,
	"Deployment":         9,
}

// object is a Kubernetes object of an official type, with its apiVersion and kind set.
type object interface {
	runtime.Object
	metav1.Object
}

// manifest is one object of the bundle, where it goes and what it came from.
type manifest struct {
	section section
	obj     object
	sources []string
}

// Artifacts returns the cluster-level bundle: one manifest per file, sorted by path, mode
// 0644. Paths start at the bundle's root ("/00-rbac/3-clusterrolebinding-….yaml"), which is
// emitted as OUT/cluster/. The cluster-info ConfigMap, which needs the cluster CA, comes from
// ClusterInfo. pods are the options the control plane's static pods were rendered with, which
// the uploaded kubeadm configuration must agree with.
func Artifacts(c *compiler.Cluster, pods staticpod.Options) ([]artifact.Artifact, error) {
	var ms []manifest
	ms = append(ms, rbacManifests()...)
	cfg, err := configManifests(c, pods)
	if err != nil {
		return nil, err
	}
	ms = append(ms, cfg...)
	ms = append(ms, nodeManifests(c)...)
	if c.Addons.KubeProxy {
		kp, err := kubeProxyManifests(c)
		if err != nil {
			return nil, err
		}
		ms = append(ms, kp...)
	}
	if c.Addons.CoreDNS {
		ms = append(ms, coreDNSManifests(c)...)
	}
	return toArtifacts(ms)
}

// toArtifacts encodes manifests into sorted artifacts, failing when two objects would share
// a file.
func toArtifacts(ms []manifest) ([]artifact.Artifact, error) {
	out := make([]artifact.Artifact, 0, len(ms))
	seen := map[string]bool{}
	for _, m := range ms {
		a, err := m.artifact()
		if err != nil {
			return nil, err
		}
		if seen[a.Path] {
			return nil, fmt.Errorf("cluster bundle: two objects for %s", a.Path)
		}
		seen[a.Path] = true
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y artifact.Artifact) int { return cmp.Compare(x.Path, y.Path) })
	return out, nil
}

// artifact returns the manifest's file.
func (m manifest) artifact() (artifact.Artifact, error) {
	kind := m.obj.GetObjectKind().GroupVersionKind().Kind
	rank, ok := kindRank[kind]
	if !ok {
		return artifact.Artifact{}, fmt.Errorf("cluster bundle: no apply order for kind %q", kind)
	}
	data, err := encodeYAML(m.obj)
	if err != nil {
		return artifact.Artifact{}, fmt.Errorf("cluster bundle: %s %s: %w", kind, m.obj.GetName(), err)
	}
	path := fmt.Sprintf("/%s/%d-%s-%s.yaml", m.section, rank, strings.ToLower(kind), fileName(m.obj.GetName()))
	return artifact.File(path, 0o644, data, m.sources...), nil
}

// fileName returns an object name usable in a file name everywhere: RBAC names hold colons.
func fileName(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '-'
	}, strings.ToLower(name))
}
