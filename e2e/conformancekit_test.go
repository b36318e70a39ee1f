//go:build e2e && conformance

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// conformanceBinEnv names a directory holding e2e.test, agnhost and ginkgo, which skips the
// build script.
const conformanceBinEnv = "KUBEFORGE_E2E_CONFORMANCE_BIN"

// conformancePrograms are the programs of the conformance run, built for the cluster's release
// by `build-binaries.sh conformance`.
var conformancePrograms = []string{"e2e.test", "agnhost", "ginkgo"}

// conformanceKit is what the conformance run needs besides the cluster.
type conformanceKit struct {
	dir    string   // e2e.test, agnhost and ginkgo
	images []string // the test images the image tool builds, imported on every node
	// missing are the images the suite names that no recipe builds: a spec that runs one can
	// only fail here, and must be in the skip list.
	missing []string
}

// conformanceKit builds (or finds cached) the conformance programs of the cluster's release,
// and the test images e2e.test names that the image tool has recipes for.
func (s *suite) conformanceKit(t *testing.T) *conformanceKit {
	t.Helper()
	k := &conformanceKit{dir: os.Getenv(conformanceBinEnv)}
	if k.dir == "" {
		t.Logf("running %s conformance (builds e2e.test, agnhost and ginkgo on a cold cache, ~10 min)", buildScript)
		cmd := exec.CommandContext(s.ctx, "bash", buildScript, "conformance")
		cmd.Env = append(os.Environ(), "K8S_VERSION="+s.cluster.Version.String())
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s conformance: %v\n%s", buildScript, err, tail(stderr.String(), 40))
		}
		k.dir = strings.TrimSpace(lastLine(string(out)))
	}
	for _, p := range conformancePrograms {
		if fi, err := os.Stat(filepath.Join(k.dir, p)); err != nil || fi.Mode()&0o111 == 0 {
			t.Fatalf("%s missing in %s (run %s conformance)", p, k.dir, buildScript)
		}
	}
	s.conformanceBin = k.dir
	out, err := exec.CommandContext(s.ctx, k.e2eTest(), "--list-images").Output()
	if err != nil {
		t.Fatalf("e2e.test --list-images: %v", err)
	}
	listed := strings.Fields(string(out))
	k.images, k.missing = s.buildTestImages(t, k, listed)
	t.Logf("e2e.test names %d images; built here: %v; not built (specs that run them must be in %s): %v", len(listed), k.images, skipListFile, k.missing)
	return k
}

// e2eTest returns the path of e2e.test.
func (k *conformanceKit) e2eTest() string { return filepath.Join(k.dir, "e2e.test") }

// buildTestImages builds (or finds cached) the images of refs the image tool can build, and
// returns them and the others; why each other could not be built is logged.
func (s *suite) buildTestImages(t *testing.T, k *conformanceKit, refs []string) (built, missing []string) {
	t.Helper()
	began := time.Now()
	cmd := exec.CommandContext(s.ctx, "go", append([]string{"run", ".", "-bin", s.binDir, "-conformance-bin", k.dir, "-keep-going"}, refs...)...)
	cmd.Dir = imageTool
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s -keep-going: %v\n%s", imageTool, err, stderr.String())
	}
	if msg := strings.TrimSpace(stderr.String()); msg != "" {
		t.Log(msg)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if ref, _, ok := strings.Cut(line, " "); ok {
			built = append(built, ref)
		}
	}
	for _, ref := range refs {
		if !slices.Contains(built, ref) {
			missing = append(missing, ref)
		}
	}
	t.Logf("test images built or found in %s", time.Since(began).Round(time.Second))
	return built, missing
}

// conformancePlan is what a run selects, from dry runs of e2e.test.
type conformancePlan struct {
	sel selection
	// total is the number of [Conformance] specs of the release; selected, the specs of the
	// selection; skipped, those of them the skip list names.
	total    int
	selected []string
	skipped  map[string]string // spec -> reason
	// exclude are the run's --skip expressions: the selection's and one per skipped spec.
	exclude []string
}

// specFilter is the ginkgo flags of a dry run or a run: focus and skip regular expressions,
// several of each (a spec runs if any focus and no skip matches its full name).
func specFilter(prefix string, focus, skip []string) []string {
	var args []string
	for _, f := range focus {
		args = append(args, prefix+"focus="+f)
	}
	for _, s := range skip {
		args = append(args, prefix+"skip="+s)
	}
	return args
}

// dryRun lists, without a cluster, the specs the filters select (as passed).
func (s *suite) dryRun(t *testing.T, k *conformanceKit, name string, focus, skip []string) *runReport {
	t.Helper()
	report := filepath.Join(s.run, "dry-run-"+name+".json")
	args := append([]string{"--ginkgo.dry-run", "--ginkgo.no-color", "--ginkgo.json-report=" + report}, specFilter("--ginkgo.", focus, skip)...)
	cmd := exec.CommandContext(s.ctx, k.e2eTest(), args...)
	cmd.Dir = s.run
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("e2e.test %s: %v\n%s", strings.Join(args, " "), err, tail(string(out), 30))
	}
	r, err := readGinkgoReport(report)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// skipPattern returns the ginkgo --skip expression that matches one spec by its whole name:
// ginkgo matches the suite's description, a space and the spec's full text.
func skipPattern(suite, spec string) string {
	return "^" + regexp.QuoteMeta(suite+" "+spec) + "$"
}

// planConformance lists the specs of the release's conformance suite and of the selection,
// and checks the skip list against them: every entry must name a [Conformance] spec of this
// release (a stale entry fails, it never hides anything).
func (s *suite) planConformance(t *testing.T, k *conformanceKit, sel selection, skips map[string]string) *conformancePlan {
	t.Helper()
	all := s.dryRun(t, k, "all", []string{conformanceFocus}, nil)
	p := &conformancePlan{sel: sel, total: len(all.passed), skipped: map[string]string{}, exclude: slices.Clone(sel.exclude)}
	for name := range skips {
		if !slices.Contains(all.passed, name) {
			t.Errorf("%s names %q, which is no [Conformance] spec of e2e.test %s", skipListFile, name, s.cluster.Version)
		}
	}
	p.selected = s.dryRun(t, k, sel.name, sel.focus, sel.exclude).passed
	for _, name := range p.selected {
		if reason, ok := skips[name]; ok {
			p.skipped[name] = reason
			p.exclude = append(p.exclude, skipPattern(all.suite, name))
		}
	}
	// What the run will select: exactly the selection less the skip list.
	toRun := s.dryRun(t, k, sel.name+"-less-skips", sel.focus, p.exclude).passed
	for _, name := range p.selected {
		_, skipped := p.skipped[name]
		if runs := slices.Contains(toRun, name); runs == skipped {
			t.Errorf("%q: in the skip list %v, but selected by the run's filters %v", name, skipped, runs)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("selection %s: %d of the release's %d [Conformance] specs, %d of them in the skip list", sel.name, len(p.selected), p.total, len(p.skipped))
	return p
}

// runConformance runs the selected specs, less the skip list, against the cluster with the
// ginkgo runner on the selection's number of processes, e2e.test and the real kubectl, as an
// operator with admin.conf, and returns the results. The JSON and JUnit reports are kept
// with the logs.
func (s *suite) runConformance(t *testing.T, k *conformanceKit, p *conformancePlan) *runReport {
	t.Helper()
	kc := s.kubeletConfig(t, s.hosts[0])
	reportDir := filepath.Join(s.run, "conformance-report")
	if err := os.MkdirAll(reportDir, 0o755); err != nil {
		t.Fatal(err)
	}
	budget := min(p.sel.timeout, time.Until(deadlineOf(s.ctx))-5*time.Minute)
	args := append([]string{"--procs=" + fmt.Sprint(p.sel.procs), "--no-color", "--timeout=" + budget.Round(time.Minute).String(),
		"--json-report=report.json", "--junit-report=junit.xml", "--output-dir=" + reportDir},
		specFilter("--", p.sel.focus, p.exclude)...)
	args = append(args, k.e2eTest(), "--",
		"--kubeconfig="+s.controlPlanes()[0].path("/etc/kubernetes/admin.conf"),
		"--kubectl-path="+filepath.Join(s.binDir, "kubectl"),
		"--provider=skeleton",
		"--dns-domain="+kc.ClusterDomain,
		"--report-dir="+reportDir,
		"--e2e-output-dir="+reportDir,
	)
	logFile := filepath.Join(s.logs, "conformance.log")
	cmd := exec.Command(filepath.Join(k.dir, "ginkgo"), args...)
	cmd.Env = append(s.clientEnv(), "KUBECTL_PATH="+filepath.Join(s.binDir, "kubectl"))
	cmd.Dir = s.run
	began := time.Now()
	t.Logf("$ ginkgo %s  (output in %s)", strings.Join(args, " "), logFile)
	p1, err := s.procs.start("conformance", cmd, logFile)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p1.done:
	case <-s.ctx.Done():
		p1.stop(30 * time.Second)
		t.Errorf("the conformance run did not end in time (%s)", budget)
	}
	t.Logf("conformance run ended after %s: %v", time.Since(began).Round(time.Second), p1.err)
	for _, f := range []string{"report.json", "junit.xml"} {
		if data, err := os.ReadFile(filepath.Join(reportDir, f)); err == nil {
			if err := os.WriteFile(filepath.Join(s.logs, "conformance-"+f), data, 0o644); err != nil {
				t.Error(err)
			}
		}
	}
	r, err := readGinkgoReport(filepath.Join(reportDir, "report.json"))
	if err != nil {
		t.Fatalf("%v (ginkgo: %v; see %s)", err, p1.err, logFile)
	}
	return r
}

// deadlineOf returns the context's deadline (the suite's always has one).
func deadlineOf(ctx interface{ Deadline() (time.Time, bool) }) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// logRestarts logs the system pods that restarted since they were first Ready: under a
// conformance run on two cores a liveness probe may time out, which is worth knowing but is
// no spec's verdict.
func (s *suite) logRestarts(t *testing.T, ready map[string]int32) {
	superAdmin := s.superAdminConf(t)
	restarted := 0
	for key, before := range ready {
		ns, name, _ := strings.Cut(key, "/")
		out, _, err := s.kubectl(superAdmin, nil, "get", "pod", "-n", ns, name, "-o", "jsonpath={.status.containerStatuses[0].restartCount}")
		if err != nil {
			t.Logf("%s: %v", key, err)
			continue
		}
		if now := strings.TrimSpace(out); now != fmt.Sprint(before) {
			restarted++
			t.Logf("%s restarted during the run: %d -> %s restarts", key, before, now)
		}
	}
	t.Logf("%d of %d system pods restarted during the run", restarted, len(ready))
}
