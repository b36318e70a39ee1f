package main

import (
	"fmt"
	"io"
	"strings"

	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/compiler/upgrade"
	"kubeforge.dev/kubeforge/emit/rollout"
)

// PlanReport is what `kubeforge upgrade plan --output json` prints. Fields are only ever
// added.
type PlanReport struct {
	Cluster string        `json:"cluster"`
	From    string        `json:"from"`
	To      string        `json:"to"`
	Batch   string        `json:"batch"`
	Stages  []StageReport `json:"stages"`
}

// StageReport is one stage: what it moves, what changes, and its warnings.
type StageReport struct {
	Name     string               `json:"name"`
	Kind     upgrade.Kind         `json:"kind"`
	To       string               `json:"to"`
	Hosts    []string             `json:"hosts"`
	Changes  rollout.StageChanges `json:"changes"`
	Warnings []diag.Diagnostic    `json:"warnings"`
}

func newPlanReport(p *upgrade.Plan, b upgrade.Batch, changes []rollout.StageChanges) PlanReport {
	r := PlanReport{Cluster: p.Input.Name, From: p.From.String(), To: p.To.String(), Batch: b.String(), Stages: []StageReport{}}
	for i, s := range p.Stages {
		sr := StageReport{Name: s.Name, Kind: s.Kind, To: s.To.String(), Hosts: s.Hosts, Changes: changes[i], Warnings: s.Diagnostics.Sorted()}
		if sr.Hosts == nil {
			sr.Hosts = []string{}
		}
		if sr.Changes.Hosts == nil {
			sr.Changes.Hosts = []rollout.HostChange{}
		}
		if sr.Warnings == nil {
			sr.Warnings = []diag.Diagnostic{}
		}
		r.Stages = append(r.Stages, sr)
	}
	return r
}

// writeText prints the stages, each with its changes per host and its warnings by code.
func (r PlanReport) writeText(w io.Writer) {
	if len(r.Stages) == 0 {
		fmt.Fprintf(w, "%s already runs %s: nothing to upgrade\n", r.Cluster, r.To)
		return
	}
	fmt.Fprintf(w, "Upgrade %s from %s to %s: %d stages, workers %s a stage\n", r.Cluster, r.From, r.To, len(r.Stages), r.Batch)
	for _, s := range r.Stages {
		what := strings.Join(s.Hosts, ", ")
		if s.Kind == upgrade.KindAddons {
			what = "cluster bundle"
		}
		fmt.Fprintf(w, "\n%s  %s to %s\n", s.Name, what, s.To)
		for _, h := range s.Changes.Hosts {
			fmt.Fprintf(w, "  %s:", h.Host)
			if h.Kubelet != "" {
				fmt.Fprintf(w, " install kubelet %s;", h.Kubelet)
			}
			fmt.Fprintf(w, " %d %s", len(h.Files), plural(len(h.Files), "file", "files"))
			if len(h.StaticPods) > 0 {
				fmt.Fprintf(w, "; static pods %s", strings.Join(h.StaticPods, ", "))
			}
			if len(h.Restarts) > 0 {
				fmt.Fprintf(w, "; restart %s", strings.Join(h.Restarts, ", "))
			}
			fmt.Fprintln(w)
		}
		if len(s.Changes.Cluster) > 0 {
			fmt.Fprintf(w, "  cluster bundle: %s\n", strings.Join(s.Changes.Cluster, ", "))
		}
		if len(s.Warnings) > 0 {
			count := map[diag.Code]int{}
			var codes []string
			for _, d := range s.Warnings {
				if count[d.Code] == 0 {
					codes = append(codes, string(d.Code))
				}
				count[d.Code]++
			}
			for i, c := range codes {
				codes[i] = fmt.Sprintf("%s×%d", c, count[diag.Code(c)])
			}
			fmt.Fprintf(w, "  warnings: %s\n", strings.Join(codes, " "))
		}
	}
}

// plural returns one or many by n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
