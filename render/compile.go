package render

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/clusterbundle"
	"kubeforge.dev/kubeforge/render/pki"
	"kubeforge.dev/kubeforge/render/staticpod"
)

// Options selects what Compile renders.
type Options struct {
	// Hosts names a subset of hosts to compile; empty compiles every host and the cluster
	// bundle.
	Hosts []string
	// Unchanged names hosts of a whole-cluster compile that are not rendered: the caller keeps
	// their previous output (emit's content index). The cluster bundle is still rendered, and
	// the PKI step keeps their store files as they are, unverified. Ignored with Hosts.
	Unchanged map[string]bool
	// PKI, when set, issues (or reuses from its store) every certificate, key and kubeconfig
	// the hosts need and adds them to their bundles. Its Hosts field is set by Compile.
	PKI *pki.Options
	// Progress, when set, is told how the compile advances (for a progress display). It is
	// called from several goroutines at once, and must be quick.
	Progress func(Progress)
}

// Progress is how far one stage of a compile has come.
type Progress struct {
	Stage Stage
	// Done of Total items of the stage. For StageCertificates, Total is 0 while the PKI step
	// runs and Done counts the keys made so far (reports come from several goroutines, so a
	// smaller count may arrive after a larger one); at its end Done = Total = certificates and
	// keys issued or re-issued.
	Done, Total int
}

// Stage is a step of a compile.
type Stage string

const (
	StageCertificates Stage = "certificates"
	StageHosts        Stage = "hosts"
)

// Result is a compiled cluster, ready to emit.
type Result struct {
	Hosts []artifact.Bundle
	// Cluster is the cluster-level bundle; nil for a subset compile.
	Cluster *artifact.Bundle
	// PKI is what the PKI step issued, reused and re-issued; nil without Options.PKI. Its
	// Store is the store's next content, for the caller to commit with the output.
	PKI *pki.Result
}

// Compile renders the bundles of a cluster's hosts (all, or the named subset).
func Compile(c *compiler.Cluster, opts Options) (*Result, error) {
	hosts, err := SelectHosts(c, opts.Hosts)
	if err != nil {
		return nil, err
	}
	if len(opts.Hosts) == 0 && len(opts.Unchanged) > 0 {
		// Not nil: the PKI step reads nil as every host.
		rendered := make([]*compiler.Host, 0, len(hosts))
		for _, h := range hosts {
			if !opts.Unchanged[h.Name] {
				rendered = append(rendered, h)
			}
		}
		hosts = rendered
	}
	report := opts.Progress
	if report == nil {
		report = func(Progress) {}
	}
	res := &Result{}
	var f hostInputs
	if opts.PKI != nil {
		po := *opts.PKI
		po.Hosts = hosts
		po.Progress = func(keys int) { report(Progress{Stage: StageCertificates, Done: keys}) }
		report(Progress{Stage: StageCertificates})
		if res.PKI, err = pki.Issue(c, po); err != nil {
			return nil, err
		}
		issued := 0
		for _, e := range res.PKI.Report() {
			if e.Kind != pki.Kept {
				issued++
			}
		}
		report(Progress{Stage: StageCertificates, Done: issued, Total: issued})
		f = hostInputs{pods: staticpod.Options{ExternalCA: res.PKI.ExternalCA(), ClusterSigningCert: res.PKI.ClusterSigningCert()}, extra: res.PKI.HostArtifacts}
	}
	var rendered atomic.Int64
	report(Progress{Stage: StageHosts, Total: len(hosts)})
	f.rendered = func() { report(Progress{Stage: StageHosts, Done: int(rendered.Add(1)), Total: len(hosts)}) }
	if res.Hosts, err = hostBundles(c, hosts, f); err != nil {
		return nil, err
	}
	if len(opts.Hosts) == 0 {
		arts, err := clusterbundle.Artifacts(c, f.pods)
		if err != nil {
			return nil, fmt.Errorf("cluster bundle: %w", err)
		}
		if res.PKI != nil {
			info, err := clusterbundle.ClusterInfo(c, res.PKI.CACert())
			if err != nil {
				return nil, err
			}
			arts = append(arts, info)
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
