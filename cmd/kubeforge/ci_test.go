package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The CI recipes of examples/ci are run as written: their commands, in order, in a
// repository prepared as examples/ci/README.md says, with a clean PATH (kubeforge comes from
// the recipe's own install step).

const ciDir = "../../examples/ci/"

// githubWorkflow is the part of a GitHub Actions workflow the test runs.
type githubWorkflow struct {
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		Steps []struct {
			Name string         `yaml:"name"`
			Run  string         `yaml:"run"`
			Uses string         `yaml:"uses"`
			With map[string]any `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// gitlabJob is the part of a GitLab CI job the test runs.
type gitlabJob struct {
	Script    []string `yaml:"script"`
	Artifacts struct {
		Paths []string `yaml:"paths"`
	} `yaml:"artifacts"`
}

// ciWorkspace is a user's repository: cluster.yaml, the golden tree prepared as the recipes'
// README says, and kubeforge's source where the recipes look for it before cloning.
type ciWorkspace struct {
	dir string
	env []string
}

func newCIWorkspace(t *testing.T) *ciWorkspace {
	t.Helper()
	// The user's repository is prepared as the README says, committed, and cloned: CI runs in
	// the clone, which has no PKI store (git-ignored) and no file mode but 0644 and 0755.
	dev := filepath.Join(t.TempDir(), "dev")
	w := &ciWorkspace{dir: filepath.Join(t.TempDir(), "ci")}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := os.ReadFile("../../examples/ha.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.Mkdir(dev, 0o755)
	os.WriteFile(filepath.Join(dev, "cluster.yaml"), cluster, 0o644)
	home := filepath.Join(t.TempDir(), "home")
	os.Mkdir(home, 0o755)
	// A clean environment, but Go's caches where they are (HOME moves them otherwise).
	w.env = []string{"HOME=" + home, "PATH=" + systemPath(), "KUBEFORGE_REPOSITORY=" + root, "KUBEFORGE_REF=main",
		"GIT_AUTHOR_NAME=ci", "GIT_AUTHOR_EMAIL=ci@example.com", "GIT_COMMITTER_NAME=ci", "GIT_COMMITTER_EMAIL=ci@example.com"}
	for _, v := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOFLAGS", "GOTOOLCHAIN", "GOPROXY"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil {
			t.Fatal(err)
		}
		w.env = append(w.env, v+"="+strings.TrimSpace(string(out)))
	}
	// The README's preparation, with the binary under test, then commit and clone.
	prep := readmeCommands(t)
	devWS := &ciWorkspace{dir: dev, env: w.env}
	r := devWS.bash(t, "PATH="+filepath.Dir(kubeforgeBin)+":"+systemPath(), strings.Join(prep, "\n"))
	if r.code != 0 {
		t.Fatalf("preparing as the README says:\n%s\n%s", strings.Join(prep, "\n"), r)
	}
	r = devWS.bash(t, "PATH="+systemPath(), "git init -q && git add -A && git commit -qm 'cluster and golden tree' && git clone -q . "+w.dir)
	if r.code != 0 {
		t.Fatalf("committing and cloning:\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(w.dir, "out.pki")); err == nil {
		t.Fatal("the PKI store was committed")
	}
	if err := os.Symlink(root, filepath.Join(w.dir, ".kubeforge-src")); err != nil {
		t.Fatal(err)
	}
	return w
}

// systemPath is PATH without any kubeforge on it, and with go.
func systemPath() string {
	goBin, err := exec.LookPath("go")
	if err != nil {
		panic(err)
	}
	var dirs []string
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(d, "kubeforge")); err != nil {
			dirs = append(dirs, d)
		}
	}
	return strings.Join(append(dirs, filepath.Dir(goBin)), ":")
}

// readmeCommands returns the commands of the first sh block of examples/ci/README.md.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	text, err := os.ReadFile(ciDir + "README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```sh\n(.*?)```").FindSubmatch(text)
	if m == nil {
		t.Fatal("no sh block in examples/ci/README.md")
	}
	return strings.Split(strings.TrimSpace(string(m[1])), "\n")
}

// bash runs a script in the workspace with bash -eo pipefail, as both CI systems do, with
// extra environment variables last (they win).
func (w *ciWorkspace) bash(t *testing.T, extraEnv string, script string, more ...string) result {
	t.Helper()
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir = w.dir
	cmd.Env = append(append(slices.Clone(w.env), more...), extraEnv)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if exit, ok := err.(*exec.ExitError); ok {
		r.code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// changeCluster moves a worker to another address: a change the golden tree does not have.
func (w *ciWorkspace) changeCluster(t *testing.T) {
	t.Helper()
	path := filepath.Join(w.dir, "cluster.yaml")
	data, _ := os.ReadFile(path)
	changed := bytes.Replace(data, []byte("192.168.10.22"), []byte("192.168.10.42"), 1)
	if bytes.Equal(changed, data) {
		t.Fatal("example has no 192.168.10.22")
	}
	os.WriteFile(path, changed, 0o644)
}

// installed checks that kubeforge now comes from the recipe's install step.
func (w *ciWorkspace) installed(t *testing.T, pathVar string) {
	t.Helper()
	r := w.bash(t, pathVar, "command -v kubeforge && kubeforge version")
	want := filepath.Join(homeOf(w), ".local/bin/kubeforge") + "\n"
	if r.code != 0 || !strings.HasPrefix(r.stdout, want) || strings.Contains(r.stdout, "kubeforge dev\n") {
		t.Errorf("kubeforge is not the installed, version-stamped one:\n%s", r)
	}
}

func TestCIRecipeGitHubActions(t *testing.T) {
	text, err := os.ReadFile(ciDir + "github-actions.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf githubWorkflow
	if err := yaml.Unmarshal(text, &wf); err != nil {
		t.Fatal(err)
	}
	job, ok := wf.Jobs["cluster"]
	if !ok || len(job.Steps) == 0 {
		t.Fatalf("no steps in job cluster: %+v", wf)
	}
	w := newCIWorkspace(t)
	githubPath := filepath.Join(w.dir, ".github_path")
	os.WriteFile(githubPath, nil, 0o644)
	var env []string
	for k, v := range wf.Env {
		if !strings.Contains(v, "${{") { // expressions are the repository variables w sets
			env = append(env, k+"="+v)
		}
	}
	env = append(env, "GITHUB_PATH="+githubPath, "GITHUB_ACTIONS=true")
	// pathVar is PATH as the runner makes it: GITHUB_PATH's lines first, newest first.
	pathVar := func() string {
		data, _ := os.ReadFile(githubPath)
		lines := strings.Fields(string(data))
		slices.Reverse(lines)
		return "PATH=" + strings.Join(append(lines, systemPath()), ":")
	}
	var uploads []string
	var diffStep string
	ran := 0
	for _, s := range job.Steps {
		if s.Uses != "" {
			if strings.HasPrefix(s.Uses, "actions/upload-artifact@") {
				uploads = append(uploads, strings.Fields(s.With["path"].(string))...)
			}
			continue
		}
		r := w.bash(t, pathVar(), s.Run, env...)
		if r.code != 0 {
			t.Fatalf("step %q failed:\n%s\n%s", s.Name, s.Run, r)
		}
		if strings.Contains(s.Run, "kubeforge validate") && r.stdout != "prod: valid (Kubernetes v1.37.2, 6 hosts)\n" {
			t.Errorf("validate printed:\n%s", r)
		}
		if strings.Contains(s.Run, "kubeforge diff") {
			diffStep = s.Run
		}
		ran++
	}
	if ran != 5 || diffStep == "" || len(uploads) != 2 {
		t.Fatalf("ran %d steps, diff step %q, uploads %q", ran, diffStep, uploads)
	}
	w.installed(t, pathVar())
	for _, p := range uploads {
		if _, err := os.Stat(filepath.Join(w.dir, p)); err != nil {
			t.Errorf("nothing to upload at %s: %v", p, err)
		}
	}

	w.changeCluster(t)
	r := w.bash(t, pathVar(), diffStep, env...)
	if r.code != exitInvalid || !strings.Contains(r.stdout, "::error file=golden/w2/var/lib/kubelet/kubeadm-flags.env,title=kubeforge diff%3A changed::") {
		t.Errorf("a changed description passes the gate:\n%s", r)
	}
}

func TestCIRecipeGitLab(t *testing.T) {
	text, err := os.ReadFile(ciDir + "gitlab-ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	var jobs map[string]gitlabJob
	if err := yaml.Unmarshal(text, &jobs); err != nil {
		t.Fatal(err)
	}
	job, ok := jobs["kubeforge"]
	if !ok || len(job.Script) == 0 {
		t.Fatalf("no script in job kubeforge: %+v", jobs)
	}
	w := newCIWorkspace(t)
	// GitLab runs a job's lines in one shell, stopping at the first that fails.
	r := w.bash(t, "PATH="+systemPath(), strings.Join(job.Script, "\n"), "GITLAB_CI=true")
	if r.code != 0 {
		t.Fatalf("script failed:\n%s\n%s", strings.Join(job.Script, "\n"), r)
	}
	w.installed(t, "PATH="+filepath.Join(homeOf(w), ".local/bin")+":"+systemPath())
	if len(job.Artifacts.Paths) != 2 {
		t.Errorf("artifacts %q", job.Artifacts.Paths)
	}
	for _, p := range job.Artifacts.Paths {
		if _, err := os.Stat(filepath.Join(w.dir, p)); err != nil {
			t.Errorf("no artifact at %s: %v", p, err)
		}
	}

	w.changeCluster(t)
	r = w.bash(t, "PATH="+systemPath(), strings.Join(job.Script, "\n"), "GITLAB_CI=true")
	if r.code != exitInvalid || !strings.Contains(r.stdout, "changed w2:/var/lib/kubelet/kubeadm-flags.env") {
		t.Errorf("a changed description passes the gate:\n%s", r)
	}
}

// homeOf returns the HOME of the workspace's environment.
func homeOf(w *ciWorkspace) string {
	for _, e := range w.env {
		if h, ok := strings.CutPrefix(e, "HOME="); ok {
			return h
		}
	}
	return ""
}
