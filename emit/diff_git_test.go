package emit

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/testenv"
)

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=kubeforge test", "-c", "user.email=test@kubeforge.dev",
		"-c", "init.defaultBranch=main", "-c", "core.fileMode=true"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// TestDiffGoldenTreeThroughGit commits a compiled tree, clones it (git keeps neither 0600 nor
// 0700 nor empty directories) and diffs the same compile against the clone: nothing differs,
// since modes come from the manifests. A real mode change of the compile is still reported;
// with StrictModes the checkout's own modes are compared too.
func TestDiffGoldenTreeThroughGit(t *testing.T) {
	testenv.Tool(t, "git")
	_, res := compiledExample(t, "ha.yaml")
	hosts, cluster := res.Hosts, res.Cluster
	bundles := append(slices.Clone(hosts), *cluster)
	repo := filepath.Join(t.TempDir(), "repo")
	if err := Write(filepath.Join(repo, "golden"), Output{Hosts: hosts, Cluster: cluster}); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "init", "-q")
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "golden")
	clone := filepath.Join(t.TempDir(), "clone")
	git(t, filepath.Dir(clone), "clone", "-q", "--no-local", repo, clone)
	golden := filepath.Join(clone, "golden")

	// The checkout really lost the modes.
	fi, err := os.Stat(filepath.Join(golden, "cp1", compiler.ManifestsDir, "etcd.yaml"))
	if err != nil || fi.Mode().Perm() == 0o600 {
		t.Fatalf("checkout kept 0600 (%v): the test proves nothing", err)
	}

	changes, err := Diff(golden, bundles)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 0 {
		t.Fatalf("the same compile differs from its cloned golden tree:\n%s", reported(changes))
	}

	strict, err := DiffWithOptions(golden, bundles, DiffOptions{StrictModes: true})
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := byPath(strict)["cp1:"+compiler.ManifestsDir+"/etcd.yaml"]; !ok || !strings.Contains(c.Detail, "mode on disk 0644 -> 0600") {
		t.Errorf("strict modes: etcd.yaml %+v", c)
	}

	// A real change of mode in the compile: etcd.yaml 0600 → 0640 on cp1.
	next := slices.Clone(bundles)
	next[0].Artifacts = slices.Clone(next[0].Artifacts)
	for i, a := range next[0].Artifacts {
		if a.Path == compiler.ManifestsDir+"/etcd.yaml" {
			next[0].Artifacts[i].Mode = 0o640
		}
	}
	changes, err = Diff(golden, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0].Path != compiler.ManifestsDir+"/etcd.yaml" || changes[0].Detail != "mode 0600 -> 0640" {
		t.Fatalf("a mode change of the compile:\n%s", reported(changes))
	}
}
