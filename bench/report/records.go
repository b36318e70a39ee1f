package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// record is one measured run of one command (a line of raw.tsv).
type record struct {
	fs, tool, op, key string
	workers, run      int
	wall, user, sys   float64 // seconds
	rssKB             int
}

// series identifies the runs of one measurement.
type series struct {
	fs, tool, op, key string
	workers           int
}

// readRecords returns the records of raw.tsv, skipping its header.
func readRecords(path string) ([]record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []record
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if line == 1 {
			continue
		}
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 10 {
			return nil, fmt.Errorf("%s:%d: %d fields, want 10", path, line, len(fields))
		}
		r := record{fs: fields[0], tool: fields[1], op: fields[2], key: fields[3]}
		ints := []*int{&r.workers, &r.run, nil, nil, nil, &r.rssKB}
		floats := []*float64{nil, nil, &r.wall, &r.user, &r.sys, nil}
		for i, s := range fields[4:] {
			var err error
			if ints[i] != nil {
				*ints[i], err = strconv.Atoi(s)
			} else {
				*floats[i], err = strconv.ParseFloat(s, 64)
			}
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", path, line, err)
			}
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// summary is the median of a measurement's runs.
type summary struct {
	n                int
	wall, minW, maxW float64
	cpu              float64 // user+sys
	rssMiB           float64
	extrapolated     bool
}

// summarize returns the medians of runs (which must not be empty).
func summarize(runs []record) summary {
	var wall, cpu, rss []float64
	for _, r := range runs {
		wall = append(wall, r.wall)
		cpu = append(cpu, r.user+r.sys)
		rss = append(rss, float64(r.rssKB)/1024)
	}
	return summary{n: len(runs), wall: median(wall), minW: slices.Min(wall), maxW: slices.Max(wall),
		cpu: median(cpu), rssMiB: median(rss)}
}

// median returns the middle value of xs (the mean of the two middle ones for an even count).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// data holds every measurement, grouped.
type data struct {
	runs map[series][]record
}

func group(recs []record) data {
	d := data{runs: map[series][]record{}}
	for _, r := range recs {
		k := series{r.fs, r.tool, r.op, r.key, r.workers}
		d.runs[k] = append(d.runs[k], r)
	}
	return d
}

// get returns the summary of a measurement and whether it was measured.
func (d data) get(s series) (summary, bool) {
	runs := d.runs[s]
	if len(runs) == 0 {
		return summary{}, false
	}
	return summarize(runs), true
}

// kubeadmLoop returns the summary of the whole kubeadm loop for 3+workers hosts: per run, the
// control-plane part plus the worker part (peak memory: the larger), then medians.
func (d data) kubeadmLoop(key string, workers int) (summary, bool) {
	cps := d.runs[series{"tmpfs", "kubeadm", "loop-control-plane", key, workers}]
	ws := d.runs[series{"tmpfs", "kubeadm", "loop-worker", key, workers}]
	if len(cps) == 0 || len(cps) != len(ws) {
		return summary{}, false
	}
	var total []record
	for i := range cps {
		r := cps[i]
		r.wall += ws[i].wall
		r.user += ws[i].user
		r.sys += ws[i].sys
		r.rssKB = max(r.rssKB, ws[i].rssKB)
		total = append(total, r)
	}
	return summarize(total), true
}

// kubeadmPerHost returns the kubeadm loop's median cost of one control-plane host and of one
// worker, from the largest cluster it ran fully for key, and that cluster's worker count.
func (d data) kubeadmPerHost(key string, controlPlanes int) (cp, worker summary, from int, ok bool) {
	for s := range d.runs {
		if s.tool == "kubeadm" && s.op == "loop-worker" && s.key == key && s.workers > from {
			from = s.workers
		}
	}
	if from == 0 {
		return cp, worker, 0, false
	}
	cp = summarize(d.runs[series{"tmpfs", "kubeadm", "loop-control-plane", key, from}])
	worker = summarize(d.runs[series{"tmpfs", "kubeadm", "loop-worker", key, from}])
	return scale(cp, 1/float64(controlPlanes)), scale(worker, 1/float64(from)), from, true
}

// kubeadmEstimate returns the kubeadm loop for 3+workers hosts: measured when it ran,
// otherwise extrapolated linearly from the per-host costs.
func (d data) kubeadmEstimate(key string, workers int) (summary, bool) {
	if s, ok := d.kubeadmLoop(key, workers); ok {
		return s, true
	}
	cp, w, _, ok := d.kubeadmPerHost(key, controlPlanes)
	if !ok {
		return summary{}, false
	}
	s := summary{wall: controlPlanes*cp.wall + float64(workers)*w.wall, cpu: controlPlanes*cp.cpu + float64(workers)*w.cpu,
		rssMiB: max(cp.rssMiB, w.rssMiB), extrapolated: true}
	s.minW, s.maxW = s.wall, s.wall
	return s, true
}

// kubeforgeEstimate returns a kubeforge measurement, or, when that size was not run (RSA above
// BENCH_RSA_MAX), a linear extrapolation from the two largest sizes that were.
func (d data) kubeforgeEstimate(s series) (summary, bool) {
	if m, ok := d.get(s); ok {
		return m, true
	}
	var sizes []int
	for k := range d.runs {
		if k.fs == s.fs && k.tool == s.tool && k.op == s.op && k.key == s.key && k.workers < s.workers {
			sizes = append(sizes, k.workers)
		}
	}
	if len(sizes) < 2 {
		return summary{}, false
	}
	slices.Sort(sizes)
	a, _ := d.get(series{s.fs, s.tool, s.op, s.key, sizes[len(sizes)-2]})
	b, _ := d.get(series{s.fs, s.tool, s.op, s.key, sizes[len(sizes)-1]})
	na, nb := float64(sizes[len(sizes)-2]), float64(sizes[len(sizes)-1])
	at := func(x, y float64) float64 { return y + (float64(s.workers)-nb)*(y-x)/(nb-na) }
	e := summary{wall: at(a.wall, b.wall), cpu: at(a.cpu, b.cpu), rssMiB: at(a.rssMiB, b.rssMiB), extrapolated: true}
	e.minW, e.maxW = e.wall, e.wall
	return e, true
}

// scale returns s with its times multiplied by f (memory unchanged).
func scale(s summary, f float64) summary {
	s.wall *= f
	s.minW *= f
	s.maxW *= f
	s.cpu *= f
	return s
}

// controlPlanes is the number of control-plane hosts of every benchmark cluster.
const controlPlanes = 3
