package main

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// operation is a row of the summary tables.
type operation struct {
	label     string
	tool, op  string
	key       string
	estimated bool // may be extrapolated where not run
}

var kubeforgeOps = []operation{
	{"`validate`", "kubeforge", "validate", "-", false},
	{"`compile --no-pki`", "kubeforge", "compile-nopki", "-", false},
	{"`compile`, fresh PKI, ECDSA-P256", "kubeforge", "compile-fresh", "ECDSA-P256", false},
	{"`compile`, fresh PKI, RSA-2048", "kubeforge", "compile-fresh", "RSA-2048", true},
	{"re-`compile`, existing store", "kubeforge", "compile-existing", "ECDSA-P256", false},
	{"`compile --host` (one worker)", "kubeforge", "compile-host", "ECDSA-P256", false},
}

// diskOps are the disk pass's rows: kubeforge's compiles and, for the ratio, `tar -x` of the
// same tree.
var diskOps = []operation{
	kubeforgeOps[2],
	{"re-`compile`, unchanged (writes nothing)", "kubeforge", "compile-existing", "ECDSA-P256", false},
	{"re-`compile`, one worker's address changed", "kubeforge", "compile-changed", "ECDSA-P256", false},
	kubeforgeOps[5],
	{"`tar -x` of the same tree, then `sync -f`", "tar", "extract", "-", false},
}

var keys = []string{"ECDSA-P256", "RSA-2048"}

// target is one of the issues' goals for kubeforge on 2 cores.
type target struct {
	what    string
	op, key string
	workers int
	limit   float64
	memory  bool // limit is peak MiB rather than wall seconds
}

var targets = []target{
	{"3+5,000, fresh ECDSA-P256 PKI: wall < 4 s", "compile-fresh", "ECDSA-P256", 5000, 4, false},
	{"3+5,000, fresh ECDSA-P256 PKI: peak < 1 GiB", "compile-fresh", "ECDSA-P256", 5000, 1024, true},
	{"3+5,000, re-compile with the existing store: wall < 3 s", "compile-existing", "ECDSA-P256", 5000, 3, false},
	{"3+5,000, `--host` compile of one host: wall < 1 s", "compile-host", "ECDSA-P256", 5000, 1, false},
	{"3+5,000, `compile --no-pki` (issue 3): wall < 3 s", "compile-nopki", "-", 5000, 3, false},
	{"3+5,000, `compile --no-pki` (issue 3): peak < 600 MiB", "compile-nopki", "-", 5000, 600, true},
}

// writeReport writes the whole markdown report.
func writeReport(w *strings.Builder, d data, meta map[string]string, dir string) {
	sizes := sizesOf(meta)
	fmt.Fprintf(w, "# kubeforge benchmarks\n\n")
	fmt.Fprintf(w, "Measured %s by `make bench` (bench/run.sh%s) on %s CPUs (%s), %s memory, Linux %s; %s; kubeforge %s; kubeadm %s.\n",
		meta["date"], quickNote(meta), meta["cpus"], meta["cpu_model"], meta["memory"], meta["kernel"], meta["go"], meta["commit"], meta["kubeadm"])
	fmt.Fprintf(w, "Load average (1, 5, 15 min) at the start: %s; at the end: %s%s.\n\n", meta["load_start"], meta["load_end"], loadDuring(dir))
	fmt.Fprintf(w, "Clusters: 3 control-plane hosts (stacked etcd) and N workers, written as operators write them (groups, labels, per-host overrides; bench/clustergen). ")
	fmt.Fprintf(w, "Every figure is the median of %s runs of the whole process (wall clock; CPU = user + system; peak = maximum resident set size, from `/usr/bin/time -v`). ", meta["runs"])
	fmt.Fprintf(w, "Outputs and PKI stores are written to tmpfs (%s), so the figures are kubeforge's own; the disk pass below writes to %s.\n\n", meta["tmpfs"], meta["disk"])

	writeTargets(w, d, meta)
	writeSummary(w, d, sizes)
	writeDisk(w, d, sizes)
	writeKubeadm(w, d, meta, sizes)
	writeDetails(w, d)
	writeFile(w, "Go benchmarks (render/, `go test -bench . -benchmem`, TMPDIR on tmpfs)", filepath.Join(dir, "gobench.txt"), "Benchmark")
	fmt.Fprintf(w, "## Where the time goes\n\nSteps timed inside one process running what `kubeforge compile` runs (bench/profile), and its CPU profile (`go tool pprof -top -cum`, kubeforge's functions and the main library and system calls; the percentages are of CPU samples on 2 cores, so they add up to more than the wall time).\n\n")
	for _, what := range []string{"fresh", "existing", "host"} {
		writeFile(w, "", filepath.Join(dir, "profile-"+what+".txt"), "")
	}
	writeFile(w, "Top of the CPU profile of the Go benchmarks (`go tool pprof -top`)", filepath.Join(dir, "gobench-pprof-top.txt"), "")
}

// loadDuring describes the 1-minute load averages sampled during the run (load.txt); the
// benchmark itself keeps one or two threads busy.
func loadDuring(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, "load.txt"))
	if err != nil {
		return ""
	}
	var loads []float64
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if l, err := strconv.ParseFloat(f[1], 64); err == nil {
			loads = append(loads, l)
		}
	}
	if len(loads) == 0 {
		return ""
	}
	return fmt.Sprintf("; sampled every 10 s during the run: median %.2f, max %.2f (the benchmark itself accounts for 1 to 2)", median(loads), slices.Max(loads))
}

func quickNote(meta map[string]string) string {
	if meta["quick"] == "1" {
		return ", BENCH_QUICK=1: a smoke test, not the numbers to quote"
	}
	return ""
}

// sizesOf returns the worker counts measured, ascending.
func sizesOf(meta map[string]string) []int {
	var out []int
	for _, f := range strings.Fields(meta["sizes"]) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func writeTargets(w *strings.Builder, d data, meta map[string]string) {
	fmt.Fprintf(w, "## Targets (kubeforge, 2 cores)\n\n| target | tmpfs | disk | |\n|---|---|---|---|\n")
	for _, t := range targets {
		m, ok := d.get(series{"tmpfs", "kubeforge", t.op, t.key, t.workers})
		if !ok {
			fmt.Fprintf(w, "| %s | not measured | | |\n", t.what)
			continue
		}
		value := func(s summary) float64 {
			if t.memory {
				return s.rssMiB
			}
			return s.wall
		}
		show := func(s summary) string {
			if t.memory {
				return fmt.Sprintf("%.0f MiB", s.rssMiB)
			}
			return seconds(s.wall)
		}
		onDisk := ""
		if dm, ok := d.get(series{"disk", "kubeforge", t.op, t.key, t.workers}); ok {
			onDisk = show(dm)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", t.what, show(m), onDisk, verdict(value(m) < t.limit))
	}
	writeDiskTargets(w, d)
	for _, key := range keys {
		kf, ok1 := d.get(series{"tmpfs", "kubeforge", "compile-fresh", key, 100})
		ka, ok2 := d.kubeadmEstimate(key, 100)
		if !ok1 || !ok2 {
			fmt.Fprintf(w, "| 3+100, at least 50× faster than the kubeadm loop, %s | not measured | | |\n", key)
			continue
		}
		fmt.Fprintf(w, "| 3+100, at least 50× faster than the kubeadm loop, %s | %s (%s against %s%s) | | %s |\n",
			key, ratio(ka.wall/kf.wall), seconds(kf.wall), seconds(ka.wall), estimatedMark(ka), verdict(ka.wall/kf.wall >= 50))
	}
	fmt.Fprintln(w)
}

// writeDiskTargets writes issue 17's targets for 3+5,000 hosts on disk, each against another
// measurement of the same run.
func writeDiskTargets(w *strings.Builder, d data) {
	const n = 5000
	get := func(fs, tool, op, key string) (summary, bool) { return d.get(series{fs, tool, op, key, n}) }
	freshTmpfs, ok1 := get("tmpfs", "kubeforge", "compile-fresh", "ECDSA-P256")
	freshDisk, ok2 := get("disk", "kubeforge", "compile-fresh", "ECDSA-P256")
	unchanged, ok3 := get("disk", "kubeforge", "compile-existing", "ECDSA-P256")
	changed, ok4 := get("disk", "kubeforge", "compile-changed", "ECDSA-P256")
	tarx, ok5 := get("disk", "tar", "extract", "-")
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		fmt.Fprintf(w, "| 3+5,000 on disk (issue 17) | not measured | | |\n")
		return
	}
	fmt.Fprintf(w, "| 3+5,000, unchanged re-compile on disk: wall < 1.5 s | | %s | %s |\n", seconds(unchanged.wall), verdict(unchanged.wall < 1.5))
	fmt.Fprintf(w, "| 3+5,000, unchanged re-compile on disk ≤ fresh compile on tmpfs | %s | %s | %s |\n",
		seconds(freshTmpfs.wall), seconds(unchanged.wall), verdict(unchanged.wall <= freshTmpfs.wall))
	fmt.Fprintf(w, "| 3+5,000, one worker changed, on disk ≤ 2× the unchanged re-compile | | %s (%s) | %s |\n",
		seconds(changed.wall), ratio(changed.wall/unchanged.wall), verdict(changed.wall <= 2*unchanged.wall))
	fmt.Fprintf(w, "| 3+5,000, fresh compile on disk ≤ 1.5× (fresh on tmpfs + `tar -x` on disk, %s) | | %s (%s) | %s |\n",
		seconds(freshTmpfs.wall+tarx.wall), seconds(freshDisk.wall), ratio(freshDisk.wall/(freshTmpfs.wall+tarx.wall)),
		verdict(freshDisk.wall <= 1.5*(freshTmpfs.wall+tarx.wall)))
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "**missed**"
}

// writeSummary writes the table to quote: wall time and peak memory per operation and size.
func writeSummary(w *strings.Builder, d data, sizes []int) {
	fmt.Fprintf(w, "## Wall time · peak memory (tmpfs)\n\n")
	header(w, "", sizes)
	for _, o := range kubeforgeOps {
		fmt.Fprintf(w, "| %s |", o.label)
		for _, n := range sizes {
			s := series{"tmpfs", o.tool, o.op, o.key, n}
			m, ok := d.get(s)
			if !ok && o.estimated {
				m, ok = d.kubeforgeEstimate(s)
			}
			fmt.Fprintf(w, " %s |", cell(m, ok))
		}
		fmt.Fprintln(w)
	}
	for _, key := range keys {
		fmt.Fprintf(w, "| kubeadm loop, %s |", key)
		for _, n := range sizes {
			m, ok := d.kubeadmEstimate(key, n)
			fmt.Fprintf(w, " %s |", cell(m, ok))
		}
		fmt.Fprintln(w)
	}
	for _, key := range keys {
		fmt.Fprintf(w, "| kubeforge faster than kubeadm, %s |", key)
		for _, n := range sizes {
			fmt.Fprintf(w, " %s |", speedup(d, key, n))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\n\\* extrapolated linearly, not measured (see below).\n\n")
}

// speedup returns kubeadm's wall time over kubeforge's fresh compile, same cluster and key.
func speedup(d data, key string, n int) string {
	kf, ok1 := d.kubeforgeEstimate(series{"tmpfs", "kubeforge", "compile-fresh", key, n})
	ka, ok2 := d.kubeadmEstimate(key, n)
	if !ok1 || !ok2 {
		return ""
	}
	mark := ""
	if kf.extrapolated || ka.extrapolated {
		mark = "\\*"
	}
	return ratio(ka.wall/kf.wall) + mark
}

func writeDisk(w *strings.Builder, d data, sizes []int) {
	if _, ok := d.get(series{"disk", "kubeforge", "compile-fresh", "ECDSA-P256", sizes[0]}); !ok {
		return
	}
	fmt.Fprintf(w, "## Wall time · peak memory with the output on disk\n\n")
	fmt.Fprintf(w, "The same compiles writing to the repository's filesystem, beside `tar -x` of the tree a compile writes into the same directory (with a sync of the file system, as kubeforge's output is on disk when it returns). A re-compile writes only what differs from the output it replaces: nothing when the description is unchanged, the changed host's files (the others hard-linked from the previous output) when one worker's address changed. On this machine (a virtual machine whose disk is slow to create files in, and uneven), creating and removing files costs more than compiling them; CPU (user+sys) in parentheses.\n\n")
	header(w, "", sizes)
	for _, o := range diskOps {
		fmt.Fprintf(w, "| %s |", o.label)
		for _, n := range sizes {
			m, ok := d.get(series{"disk", o.tool, o.op, o.key, n})
			c := cell(m, ok)
			if ok {
				c += fmt.Sprintf(" (%s CPU)", seconds(m.cpu))
			}
			fmt.Fprintf(w, " %s |", c)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

func writeKubeadm(w *strings.Builder, d data, meta map[string]string, sizes []int) {
	fmt.Fprintf(w, "## kubeforge against the kubeadm loop\n\n")
	fmt.Fprintf(w, "The kubeadm loop is what a kubeadm user runs to produce every node's files offline (bench/kubeadm-loop.sh lists it exactly): per control-plane host `kubeadm init phase certs all`, `kubeconfig all`, `control-plane all`, `etcd local` and `kubelet-start` with `--rootfs` (the first host's CAs and service-account key copied to the others first); per worker `kubeadm init phase kubelet-start --rootfs` and `kubeadm kubeconfig user --client-name system:node:NAME --org system:nodes` as its kubelet.conf, plus the CA certificate. ")
	fmt.Fprintf(w, "Each kubeadm run alternates with a kubeforge compile of the same cluster with the same key algorithm (A/B, interleaved). kubeforge writes more per host (systemd units and drop-ins, sysctl, modules, firewalld, manifests, and the cluster bundle).\n\n")
	fmt.Fprintf(w, "| hosts | key | kubeforge `compile` | kubeadm loop | kubeadm / kubeforge (wall) | (CPU) | files kubeforge / kubeadm |\n|---|---|---|---|---|---|---|\n")
	for _, n := range sizes {
		for _, key := range keys {
			kf, ok1 := d.kubeforgeEstimate(series{"tmpfs", "kubeforge", "compile-fresh", key, n})
			ka, ok2 := d.kubeadmEstimate(key, n)
			if !ok1 || !ok2 {
				continue
			}
			files := meta[fmt.Sprintf("kubeforge_files_%d", n)] + " / " + orDash(meta[fmt.Sprintf("kubeadm_files_%d_%s", n, key)])
			fmt.Fprintf(w, "| 3+%s | %s | %s%s, %s CPU | %s%s, %s CPU | %s | %s | %s |\n", thousands(n), key,
				seconds(kf.wall), estimatedMark(kf), seconds(kf.cpu), seconds(ka.wall), estimatedMark(ka), seconds(ka.cpu),
				ratio(ka.wall/kf.wall), ratio(ka.cpu/kf.cpu), files)
		}
	}
	for _, key := range keys {
		cp, wk, from, ok := d.kubeadmPerHost(key, controlPlanes)
		if !ok {
			continue
		}
		fmt.Fprintf(w, "\nkubeadm per host, %s, from the 3+%s loop: %s a control-plane host (%s CPU), %s a worker (%s CPU), peak %.0f MiB; \\* rows are 3 × the first plus N × the second.",
			key, thousands(from), seconds(cp.wall), seconds(cp.cpu), seconds(wk.wall), seconds(wk.cpu), max(cp.rssMiB, wk.rssMiB))
	}
	fmt.Fprintf(w, " kubeforge RSA-2048 rows marked \\* (above BENCH_RSA_MAX=%s workers) are extrapolated linearly from the two largest measured sizes.\n\n", meta["rsa_max"])
}

func writeDetails(w *strings.Builder, d data) {
	fmt.Fprintf(w, "## Every measurement\n\n| where | tool | operation | key | hosts | runs | wall median | min–max | CPU median | peak median |\n|---|---|---|---|---|---|---|---|---|---|\n")
	var all []series
	for s := range d.runs {
		all = append(all, s)
	}
	// tmpfs before disk, then by tool, size, operation and key.
	slices.SortFunc(all, func(a, b series) int {
		return cmp.Or(-strings.Compare(a.fs, b.fs), strings.Compare(a.tool, b.tool), cmp.Compare(a.workers, b.workers),
			strings.Compare(a.op, b.op), strings.Compare(a.key, b.key))
	})
	for _, s := range all {
		m, _ := d.get(s)
		fmt.Fprintf(w, "| %s | %s | %s | %s | 3+%s | %d | %s | %s–%s | %s | %.0f MiB |\n", s.fs, s.tool, s.op, s.key, thousands(s.workers),
			m.n, seconds(m.wall), seconds(m.minW), seconds(m.maxW), seconds(m.cpu), m.rssMiB)
	}
	fmt.Fprintln(w)
}

// writeFile copies a text file into the report as a code block, keeping only the lines that
// start with prefix when one is given.
func writeFile(w *strings.Builder, title, path, prefix string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	if title != "" {
		fmt.Fprintf(w, "## %s\n\n", title)
	}
	fmt.Fprintf(w, "```\n")
	for line := range strings.Lines(string(data)) {
		if prefix == "" || strings.HasPrefix(line, prefix) {
			w.WriteString(line)
		}
	}
	fmt.Fprintf(w, "```\n\n")
}

func header(w *strings.Builder, first string, sizes []int) {
	fmt.Fprintf(w, "| %s |", first)
	for _, n := range sizes {
		fmt.Fprintf(w, " 3+%s |", thousands(n))
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---|", len(sizes)))
}

// cell formats wall time and peak memory.
func cell(m summary, ok bool) string {
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s%s · %.0f MiB", seconds(m.wall), estimatedMark(m), m.rssMiB)
}

func estimatedMark(m summary) string {
	if m.extrapolated {
		return "\\*"
	}
	return ""
}

// seconds formats a duration in seconds with about three significant digits.
func seconds(s float64) string {
	switch {
	case s < 0.1:
		return fmt.Sprintf("%.3f s", s)
	case s < 10:
		return fmt.Sprintf("%.2f s", s)
	case s < 100:
		return fmt.Sprintf("%.1f s", s)
	}
	return fmt.Sprintf("%.0f s", s)
}

// ratio formats a speed-up with a decimal below 100, so that 49.6× does not read as 50×.
func ratio(r float64) string {
	if r < 100 {
		return fmt.Sprintf("%.1f×", r)
	}
	return fmt.Sprintf("%.0f×", r)
}

func thousands(n int) string {
	if n >= 1000 {
		return fmt.Sprintf("%d,%03d", n/1000, n%1000)
	}
	return strconv.Itoa(n)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
