package cis

import (
	"fmt"
	"slices"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render"
)

// Benchmark names what the controls follow, in every report.
const Benchmark = "CIS Kubernetes Benchmark v1.11 (numbered as kube-bench's cis-1.11) and NSA/CISA Kubernetes Hardening Guide v1.2"

// Status is the outcome of one control.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	// Manual: the compiled files cannot decide the control; a person must.
	Manual Status = "manual"
	// Waived: the control fails and the description's checks.waive accepts it, with a reason.
	Waived Status = "waived"
)

// Target is what a control examines: the hosts running one component, or the cluster bundle.
type Target string

const (
	APIServer         Target = "kube-apiserver"
	ControllerManager Target = "kube-controller-manager"
	Scheduler         Target = "kube-scheduler"
	Etcd              Target = "etcd"
	// Kubelet: every host (each runs a kubelet).
	Kubelet Target = "kubelet"
	// ClusterBundle: the cluster-level objects, evaluated once.
	ClusterBundle Target = "cluster"
)

// Control is one row of a benchmark table.
type Control struct {
	ID    string
	Title string
	// Section is the benchmark's group: "1.2 API Server".
	Section string
	Target  Target
	// Field is the description field that fixes a failure, as a field path; empty when no
	// field does (what kubeforge writes itself, such as file modes).
	Field string
	// Check judges one host's files; nil for a control no file decides, which is manual.
	Check func(*host) verdict
	// Manual says why a control without Check is left to a person.
	Manual string
}

// verdict is a control's outcome on one host, with what was found.
type verdict struct {
	status Status
	detail string
}

func passed() verdict { return verdict{status: Pass} }

func failed(format string, args ...any) verdict {
	return verdict{status: Fail, detail: fmt.Sprintf(format, args...)}
}

func manual(format string, args ...any) verdict {
	return verdict{status: Manual, detail: fmt.Sprintf(format, args...)}
}

// Finding is what a control found on one host (or the cluster bundle).
type Finding struct {
	Host   string `json:"host"`
	Detail string `json:"detail"`
}

// Result is a control's outcome over the cluster.
type Result struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Section string `json:"section"`
	Status  Status `json:"status"`
	// Hosts are where the control failed (fail, waived) or was found manual, else where it
	// was checked; "cluster" for the cluster bundle.
	Hosts []string `json:"hosts"`
	// Field is the description field that fixes a failure, when one does.
	Field string `json:"field,omitempty"`
	// Detail is what was found (the first host's finding), or why the control is manual.
	Detail   string    `json:"detail,omitempty"`
	Findings []Finding `json:"findings,omitempty"`
	// Waiver is the reason of checks.waive, for a waived control.
	Waiver string `json:"waiver,omitempty"`
}

// Summary counts the results by status.
type Summary struct {
	Pass   int `json:"pass"`
	Fail   int `json:"fail"`
	Manual int `json:"manual"`
	Waived int `json:"waived"`
}

// Report is kubeforge check's outcome.
type Report struct {
	Cluster   string   `json:"cluster"`
	Benchmark string   `json:"benchmark"`
	Controls  []Result `json:"controls"`
	Summary   Summary  `json:"summary"`
	// UnusedWaivers are waived controls that pass: the waiver can go.
	UnusedWaivers []string `json:"unusedWaivers"`
}

// Failed reports whether a control fails without a waiver.
func (r *Report) Failed() bool { return r.Summary.Fail > 0 }

// Controls returns every control, the CIS table then the NSA/CISA one.
func Controls() []Control { return append(slices.Clone(cisControls), nsaControls...) }

// Check evaluates every control against a whole-cluster compile (res.Cluster set) of c.
func Check(c *compiler.Cluster, res *render.Result) (*Report, error) {
	if res.Cluster == nil {
		return nil, fmt.Errorf("check needs every host and the cluster bundle: compile without a host subset")
	}
	hosts := make([]*host, 0, len(res.Hosts)+1)
	for i := range res.Hosts {
		hosts = append(hosts, newHost(&res.Hosts[i]))
	}
	cluster := newHost(res.Cluster)
	rep := &Report{Cluster: c.Name, Benchmark: Benchmark, UnusedWaivers: []string{}}
	for _, ctl := range Controls() {
		r := evaluate(ctl, hosts, cluster)
		if i := slices.IndexFunc(c.Waivers, func(w compiler.Waiver) bool { return w.ID == ctl.ID }); i >= 0 {
			if r.Status == Fail {
				r.Status, r.Waiver = Waived, c.Waivers[i].Reason
			} else {
				rep.UnusedWaivers = append(rep.UnusedWaivers, ctl.ID)
			}
		}
		rep.Summary.add(r.Status)
		rep.Controls = append(rep.Controls, r)
	}
	return rep, nil
}

func (s *Summary) add(st Status) {
	switch st {
	case Pass:
		s.Pass++
	case Fail:
		s.Fail++
	case Manual:
		s.Manual++
	case Waived:
		s.Waived++
	}
}

// evaluate runs one control on every host it targets and folds the verdicts: any failure
// fails it, else any manual verdict makes it manual.
func evaluate(ctl Control, hosts []*host, cluster *host) Result {
	r := Result{ID: ctl.ID, Title: ctl.Title, Section: ctl.Section, Field: ctl.Field, Hosts: []string{}}
	if ctl.Check == nil {
		r.Status, r.Detail = Manual, ctl.Manual
		return r
	}
	targets := hosts
	if ctl.Target == ClusterBundle {
		targets = []*host{cluster}
	}
	var checked []string
	byStatus := map[Status][]Finding{}
	for _, h := range targets {
		if !h.runs(ctl.Target) {
			continue
		}
		checked = append(checked, h.name)
		v := verdict{}
		if err := h.broken[ctl.Target]; err != nil {
			v = failed("%v", err)
		} else {
			v = ctl.Check(h)
		}
		byStatus[v.status] = append(byStatus[v.status], Finding{Host: h.name, Detail: v.detail})
	}
	switch {
	case len(checked) == 0:
		r.Status, r.Detail = Manual, fmt.Sprintf("no host of this cluster runs %s from kubeforge's files (external etcd?): check where it runs", ctl.Target)
		return r
	case len(byStatus[Fail]) > 0:
		r.Status, r.Findings = Fail, byStatus[Fail]
	case len(byStatus[Manual]) > 0:
		r.Status, r.Findings = Manual, byStatus[Manual]
	default:
		r.Status, r.Hosts = Pass, checked
		return r
	}
	for _, f := range r.Findings {
		r.Hosts = append(r.Hosts, f.Host)
	}
	r.Detail = r.Findings[0].Detail
	return r
}
