package render

import (
	"fmt"
	"slices"
	"strings"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/clusterbundle"
)

// Options selects what Compile renders.
type Options struct {
	// Hosts names a subset of hosts to compile; empty compiles every host and the cluster
	// bundle.
	Hosts []string
}

// Result is a compiled cluster, ready to emit.
type Result struct {
	Hosts []artifact.Bundle
	// Cluster is the cluster-level bundle; nil for a subset compile.
	Cluster *artifact.Bundle
}

// Compile renders the bundles of a cluster's hosts (all, or the named subset).
func Compile(c *compiler.Cluster, opts Options) (*Result, error) {
	hosts, err := SelectHosts(c, opts.Hosts)
	if err != nil {
		return nil, err
	}
	bundles, err := Hosts(c, hosts, nil)
	if err != nil {
		return nil, err
	}
	res := &Result{Hosts: bundles}
	if len(opts.Hosts) == 0 {
		arts, err := clusterbundle.Artifacts(c)
		if err != nil {
			return nil, fmt.Errorf("cluster bundle: %w", err)
		}
		res.Cluster = &artifact.Bundle{Name: artifact.ClusterBundle, Artifacts: arts}
		res.Cluster.Sort()
	}
	return res, nil
}

// SelectHosts returns the named hosts in description order, or all hosts when names is empty.
func SelectHosts(c *compiler.Cluster, names []string) ([]*compiler.Host, error) {
	if len(names) == 0 {
		return c.Hosts, nil
	}
	var out []*compiler.Host
	var unknown []string
	for _, n := range names {
		i := slices.IndexFunc(c.Hosts, func(h *compiler.Host) bool { return h.Name == n })
		if i < 0 {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("no host named %s in cluster %s", strings.Join(unknown, ", "), c.Name)
	}
	for _, h := range c.Hosts {
		if slices.Contains(names, h.Name) {
			out = append(out, h)
		}
	}
	return out, nil
}
