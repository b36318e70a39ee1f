package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// point is one x (total hosts) with the wall time and peak memory there.
type point struct {
	hosts       int
	wall, rss   float64
	extrapolate bool
}

// line is one series of the chart.
type line struct {
	title  string
	points []point
	dashed bool
	memory bool // also drawn on the memory panel
}

// chartLines returns the chart's series: kubeforge's operations and the kubeadm loops on
// tmpfs, the fresh compile on disk, each extrapolated part as its own dashed line.
func chartLines(d data) []line {
	sizes := map[int]bool{}
	for s := range d.runs {
		sizes[s.workers] = true
	}
	var ns []int
	for n := range sizes {
		ns = append(ns, n)
	}
	slices.Sort(ns)

	var out []line
	add := func(title string, memory bool, get func(n int) (summary, bool)) {
		measured := line{title: title, memory: memory}
		estimated := line{title: title + " (extrapolated)", dashed: true}
		for _, n := range ns {
			m, ok := get(n)
			if !ok {
				continue
			}
			p := point{hosts: n + controlPlanes, wall: m.wall, rss: m.rssMiB}
			if m.extrapolated {
				if len(estimated.points) == 0 && len(measured.points) > 0 {
					// Start the dashed line at the last measured point.
					estimated.points = append(estimated.points, measured.points[len(measured.points)-1])
				}
				estimated.points = append(estimated.points, p)
			} else {
				measured.points = append(measured.points, p)
			}
		}
		for _, l := range []line{measured, estimated} {
			if len(l.points) > 0 {
				out = append(out, l)
			}
		}
	}
	for _, o := range kubeforgeOps {
		add("kubeforge "+strings.ReplaceAll(o.label, "`", ""), true, func(n int) (summary, bool) {
			s := series{"tmpfs", o.tool, o.op, o.key, n}
			if o.estimated {
				return d.kubeforgeEstimate(s)
			}
			return d.get(s)
		})
	}
	add("kubeforge compile, fresh PKI, ECDSA-P256, on disk", false, func(n int) (summary, bool) {
		return d.get(series{"disk", "kubeforge", "compile-fresh", "ECDSA-P256", n})
	})
	for _, key := range keys {
		add("kubeadm loop, "+key, true, func(n int) (summary, bool) { return d.kubeadmEstimate(key, n) })
	}
	return out
}

// writeChart writes chart.dat and chart.gp (which draws chart.png) into dir.
func writeChart(dir string, d data) error {
	lines := chartLines(d)
	var dat strings.Builder
	for i, l := range lines {
		if i > 0 {
			dat.WriteString("\n\n")
		}
		fmt.Fprintf(&dat, "# %s\n", l.title)
		for _, p := range l.points {
			fmt.Fprintf(&dat, "%d %.4f %.1f\n", p.hosts, p.wall, p.rss)
		}
	}
	datPath := filepath.Join(dir, "chart.dat")
	if err := os.WriteFile(datPath, []byte(dat.String()), 0o644); err != nil {
		return err
	}

	var gp strings.Builder
	fmt.Fprintf(&gp, "set terminal pngcairo size 1600,850 font 'Sans,10'\nset output '%s'\n", filepath.Join(dir, "chart.png"))
	gp.WriteString("set multiplot layout 1,2 title 'kubeforge against the kubeadm loop: time and peak memory against cluster size (medians; outputs on tmpfs unless said)'\n")
	gp.WriteString("set grid\nset logscale x\nset bmargin 14\nset xlabel 'hosts (3 control-plane + workers)'\nset key outside bottom center vertical maxrows 6 font ',9'\n")
	gp.WriteString("set logscale y\nset ylabel 'wall time (s)'\nset format y '%g'\n")
	colors := map[string]int{}
	for _, l := range lines {
		base := strings.TrimSuffix(l.title, " (extrapolated)")
		if _, ok := colors[base]; !ok {
			colors[base] = len(colors) + 1
		}
	}
	plot(&gp, lines, datPath, colors, 2, func(line) bool { return true })
	gp.WriteString("unset logscale y\nset ylabel 'peak resident memory (MiB)'\nset yrange [0:*]\n")
	plot(&gp, lines, datPath, colors, 3, func(l line) bool { return l.memory && !l.dashed })
	gp.WriteString("unset multiplot\n")
	return os.WriteFile(filepath.Join(dir, "chart.gp"), []byte(gp.String()), 0o644)
}

// palette has a distinct colour for each series (gnuplot's own cycle repeats after eight).
var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
	"#bcbd22", "#17becf", "#000000", "#aec7e8"}

// plot writes one panel: column col of every line keep accepts, in the colour of its title
// (an extrapolated part in the colour of its measured part).
func plot(gp *strings.Builder, lines []line, dat string, colors map[string]int, col int, keep func(line) bool) {
	var parts []string
	for i, l := range lines {
		if !keep(l) {
			continue
		}
		base := strings.TrimSuffix(l.title, " (extrapolated)")
		c := colors[base]
		style := fmt.Sprintf("with linespoints linecolor rgb '%s' pointtype %d", palette[(c-1)%len(palette)], c)
		if l.dashed {
			style += " dashtype 2"
		}
		parts = append(parts, fmt.Sprintf("'%s' index %d using 1:%d %s title '%s'", dat, i, col, style, l.title))
	}
	fmt.Fprintf(gp, "plot %s\n", strings.Join(parts, ", \\\n     "))
}
