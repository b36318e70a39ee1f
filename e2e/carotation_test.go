//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler"
)

// rotatedCA is what checkCARotation rotates: the cluster CA.
const rotatedCA = "ca"

// rotationStep is one `kubeforge pki rotate-ca` step and what it must leave served.
type rotationStep struct {
	step string
	// dropKubeletClientCerts: the README's stage-2 instruction, once every controller-manager
	// signs with the incoming CA, remove the client certificates a kubelet got itself (signed
	// by the outgoing CA) and restart it.
	dropKubeletClientCerts bool
}

var rotationSteps = []rotationStep{{step: "start"}, {step: "advance", dropKubeletClientCerts: true}, {step: "finish"}}

// hostChange is what a stage changes in one host's bundle: node paths written and removed.
type hostChange struct {
	written, removed []string
}

// any reports whether one of the node paths written or removed is p or under p.
func (c hostChange) any(match func(p string) bool) bool {
	return slices.ContainsFunc(c.written, match) || slices.ContainsFunc(c.removed, match)
}

// checkCARotation rotates the cluster CA of the running cluster through its three stages as
// the README's "Rotating a CA" tells an operator to: at each step `kubeforge pki rotate-ca` on
// the suite's PKI store, a compile, every host's changed files installed, and what reads them
// restarted (a static pod when its manifest or a file under one of its hostPath volumes
// changed, one control-plane host at a time; a kubelet when its files changed). Then: a client
// holding the admin.conf from before the rotation is served in stage 1, and with its
// credentials (the stage-1 admin.conf, which trusts both CAs) in stage 2; every kubelet renews
// its node lease after its restart (it is authenticated) and every node is Ready; after finish
// those credentials are refused.
func (s *suite) checkCARotation(t *testing.T, c *bootedCluster) {
	began := time.Now()
	store := s.out + ".pki"
	keep := filepath.Join(s.run, "ca-rotation")
	if err := os.MkdirAll(keep, 0o700); err != nil {
		t.Fatal(err)
	}
	adminConf := func(stage int) string { return filepath.Join(keep, fmt.Sprintf("admin-stage%d.conf", stage)) }
	saveAdminConf := func(stage int) {
		t.Helper()
		data, err := os.ReadFile(s.controlPlanes()[0].path(compiler.AdminConfPath))
		if err == nil {
			err = os.WriteFile(adminConf(stage), data, 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	saveAdminConf(0)
	// Stage 0 compiled again into a tree of its own (the store is unchanged, so are the files):
	// the live bundles also hold what the kubelets wrote.
	prev := s.compileStage(t, store, filepath.Join(keep, "stage0"))

	for i, st := range rotationSteps {
		stage := i + 1
		stepBegan := time.Now()
		out, err := s.runCLI("pki", "rotate-ca", st.step, "--ca", rotatedCA, "--pki-dir", store, description)
		if err != nil {
			t.Fatalf("kubeforge pki rotate-ca %s: %v\n%s", st.step, err, out)
		}
		t.Logf("$ kubeforge pki rotate-ca %s --ca %s --pki-dir %s\n%s", st.step, rotatedCA, store, strings.TrimSpace(out))
		next := s.compileStage(t, store, filepath.Join(keep, fmt.Sprintf("stage%d", stage)))
		changes, cluster := stageChanges(t, prev, next)
		if !t.Run(fmt.Sprintf("rotate-ca %s: roll out stage %d", st.step, stage), func(t *testing.T) {
			s.rollOutStage(t, c, next, changes, cluster, st.dropKubeletClientCerts)
		}) {
			t.FailNow()
		}
		switch st.step {
		case "start":
			t.Run("stage 1: the admin.conf from before the rotation is served", func(t *testing.T) {
				s.expectServed(t, adminConf(0))
			})
			saveAdminConf(1)
		case "advance":
			t.Run("stage 2: the outgoing client certificate is still served, the new admin.conf too", func(t *testing.T) {
				s.expectServed(t, adminConf(1))
				s.expectServed(t, s.controlPlanes()[0].path(compiler.AdminConfPath))
				// The README: a kubeconfig from before stage 1 trusts only the outgoing CA,
				// which no longer signs the apiservers' certificates.
				s.expectRefused(t, adminConf(0), "x509")
			})
		case "finish":
			t.Run("after finish: the outgoing credentials are refused, the new ones served", func(t *testing.T) {
				s.expectRefused(t, adminConf(1), "Unauthorized")
				s.expectRefused(t, adminConf(0), "x509")
				s.expectServed(t, s.controlPlanes()[0].path(compiler.AdminConfPath))
			})
		}
		t.Run(fmt.Sprintf("stage %d: every node Ready", stage), func(t *testing.T) { s.waitNodesReady(t, c.nodes) })
		t.Logf("rotate-ca %s: stage rolled out and checked in %s", st.step, time.Since(stepBegan).Round(time.Second))
		prev = next
	}
	t.Logf("cluster CA rotation through its three stages took %s", time.Since(began).Round(time.Second))
}

// runCLI runs the kubeforge CLI under test and returns its combined output.
func (s *suite) runCLI(args ...string) (string, error) {
	cmd := exec.CommandContext(s.ctx, s.cli, args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// compileStage compiles the description with the store into dir and returns dir.
func (s *suite) compileStage(t *testing.T, store, dir string) string {
	t.Helper()
	if out, err := s.runCLI("compile", description, "-o", dir, "--pki-dir", store); err != nil {
		t.Fatalf("kubeforge compile -o %s --pki-dir %s: %v\n%s", dir, store, err, out)
	}
	return dir
}

// stageChanges returns, per host, the node paths whose files differ between two compile
// outputs, and the cluster bundle's files that differ (paths under the output).
func stageChanges(t *testing.T, prev, next string) (map[string]hostChange, []string) {
	t.Helper()
	files := func(root string) map[string][]byte {
		out := map[string][]byte{}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			if !strings.Contains(rel, string(filepath.Separator)) {
				return nil // the manifests beside the bundles
			}
			data, err := os.ReadFile(p)
			out[rel] = data
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := files(prev), files(next)
	changes := map[string]hostChange{}
	var cluster []string
	note := func(rel string, removed bool) {
		host, nodePath, _ := strings.Cut(rel, string(filepath.Separator))
		if host == clusterBundleDir {
			if !removed {
				cluster = append(cluster, rel)
			}
			return
		}
		hc := changes[host]
		if removed {
			hc.removed = append(hc.removed, "/"+nodePath)
		} else {
			hc.written = append(hc.written, "/"+nodePath)
		}
		changes[host] = hc
	}
	for rel, data := range b {
		if old, ok := a[rel]; !ok || !bytes.Equal(old, data) {
			note(rel, false)
		}
	}
	for rel := range a {
		if _, ok := b[rel]; !ok {
			note(rel, true)
		}
	}
	return changes, cluster
}

// rollOutStage installs a stage's changed files on every host and restarts what reads them:
// control-plane hosts one at a time (the load balancer keeps the API up through the others),
// then the cluster bundle's changed objects, then the workers.
func (s *suite) rollOutStage(t *testing.T, c *bootedCluster, next string, changes map[string]hostChange, cluster []string, dropKubeletClientCerts bool) {
	var total int
	for h, hc := range changes {
		total += len(hc.written) + len(hc.removed)
		slices.Sort(hc.written)
		t.Logf("%s: %d files written %v, %d removed %v", h, len(hc.written), hc.written, len(hc.removed), hc.removed)
	}
	t.Logf("cluster bundle: %d files changed %v", len(cluster), cluster)
	if total == 0 {
		t.Fatal("the stage changes no host's files")
	}
	nodes := map[string]*node{}
	for _, n := range c.nodes {
		nodes[n.host.name] = n
	}
	order := append(s.controlPlanes(), s.workers()...)
	for i, h := range order {
		n := nodes[h.name]
		if n == nil {
			t.Fatalf("host %s runs no node", h.name)
		}
		s.rollOutHost(t, n, filepath.Join(next, h.name), changes[h.name], dropKubeletClientCerts)
		if i == len(s.controlPlanes())-1 && len(cluster) > 0 {
			args := []string{"apply"}
			for _, f := range cluster {
				args = append(args, "-f", filepath.Join(next, f))
			}
			out, _, err := s.kubectl(s.superAdminConf(t), nil, args...)
			if err != nil {
				t.Fatalf("applying the cluster bundle's changed objects: %v", err)
			}
			t.Logf("$ kubectl apply -f %v\n%s", cluster, strings.TrimSpace(out))
		}
	}
	if !dropKubeletClientCerts {
		return
	}
	// The kubelets restart only now that every controller-manager signs with the incoming CA:
	// one restarted earlier without its client certificates could get its new one from a
	// controller-manager still signing with the outgoing CA (seen here: it was refused after
	// finish).
	for _, h := range order {
		s.restartKubelet(t, nodes[h.name], true)
	}
}

// rollOutHost installs one host's changed files from its new bundle and restarts what reads
// them: its static pods (the kubelet replaces a pod whose manifest changed; the suite stops the
// container of one whose mounted files changed, and the kubelet starts it again) and, unless
// deferKubelet (the caller restarts it later), its kubelet. It returns once every restarted pod
// is Ready again and the kubelet, restarted, has renewed its node lease.
func (s *suite) rollOutHost(t *testing.T, n *node, bundle string, hc hostChange, deferKubelet bool) {
	h := n.host
	if len(hc.written)+len(hc.removed) == 0 {
		return
	}
	pods, err := staticPods(h)
	if err != nil {
		t.Fatal(err)
	}
	type restart struct {
		sp          staticPod
		containerID string
		manifest    bool // the kubelet replaces the pod itself
	}
	var restarts []restart
	for _, sp := range pods {
		manifest := filepath.Join(compiler.ManifestsDir, sp.pod.Name+".yaml")
		r := restart{sp: sp, manifest: hc.any(func(p string) bool { return p == manifest })}
		mounted := hc.any(func(p string) bool {
			for _, v := range sp.pod.Spec.Volumes {
				if v.HostPath != nil && (p == v.HostPath.Path || within(p, v.HostPath.Path)) {
					return true
				}
			}
			return false
		})
		if !r.manifest && !mounted {
			continue
		}
		p, err := s.mirrorPod(t, sp)
		if err != nil || len(p.Status.ContainerStatuses) != 1 {
			t.Fatalf("%s: mirror pod before the roll-out: %v", sp.name(), err)
		}
		r.containerID = p.Status.ContainerStatuses[0].ContainerID
		restarts = append(restarts, r)
	}
	kubeletFiles := hc.any(func(p string) bool {
		return p == compiler.CACertPath || p == compiler.KubeletConfPath || within(p, compiler.KubeletDir)
	})

	for _, p := range hc.written {
		if err := installFile(filepath.Join(bundle, p), h.path(p)); err != nil {
			t.Fatalf("%s: %v", h.name, err)
		}
	}
	for _, p := range hc.removed {
		if err := os.Remove(h.path(p)); err != nil {
			t.Fatalf("%s: %v", h.name, err)
		}
	}
	for _, r := range restarts {
		if r.manifest {
			continue
		}
		id := strings.TrimPrefix(r.containerID, "containerd://")
		if out, err := n.ctr(s, 30*time.Second, "tasks", "kill", "--signal", "SIGTERM", id); err != nil {
			t.Fatalf("%s: stopping container %s: %v: %s", r.sp.name(), shortID(r.containerID), err, out)
		}
	}
	if kubeletFiles && !deferKubelet {
		s.restartKubelet(t, n, false)
	}
	for _, r := range restarts {
		err := waitFor(s.ctx, r.sp.name()+" restarted and Ready", 4*time.Minute, []*process{n.kubelet, n.containerd}, func() error {
			p, err := s.mirrorPod(t, r.sp)
			if err != nil {
				return err
			}
			if len(p.Status.ContainerStatuses) != 1 || p.Status.ContainerStatuses[0].ContainerID == r.containerID {
				return fmt.Errorf("container %s not replaced yet", shortID(r.containerID))
			}
			return podReady(p)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for _, r := range restarts {
		names = append(names, r.sp.pod.Name)
	}
	t.Logf("%s: %d files installed, %d removed; restarted %v, kubelet %v", h.name, len(hc.written), len(hc.removed), names, kubeletFiles && !deferKubelet)
}

// restartKubelet restarts n's kubelet, first removing the client certificates it got itself
// when dropClientCerts, and waits until it has renewed its node lease (it authenticates).
func (s *suite) restartKubelet(t *testing.T, n *node, dropClientCerts bool) {
	t.Helper()
	h := n.host
	if dropClientCerts {
		pems, _ := filepath.Glob(h.path(filepath.Join(compiler.KubeletPKIDir, "kubelet-client-*.pem")))
		for _, p := range pems {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%s: removed the kubelet's own client certificates: %v", h.name, pems)
	}
	n.kubelet.stop(10 * time.Second)
	kubeletRestarted := time.Now()
	if err := s.startKubelet(n); err != nil {
		t.Fatalf("%s: restarting the kubelet: %v", h.name, err)
	}
	superAdmin := s.superAdminConf(t)
	err := waitFor(s.ctx, h.nodeName+"'s lease renewed by its restarted kubelet", 2*time.Minute, []*process{n.kubelet, n.containerd}, func() error {
		out, _, err := s.kubectl(superAdmin, nil, "get", "lease", "-n", "kube-node-lease", h.nodeName, "-o", "jsonpath={.spec.renewTime}")
		if err != nil {
			return err
		}
		renewed, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(out))
		if err != nil {
			return err
		}
		if !renewed.After(kubeletRestarted) {
			return fmt.Errorf("renewed %s, before the restart", renewed.Format(time.RFC3339))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// installFile replaces dst with src's content and mode, atomically: a reader sees the old
// file or the new one (the kubelet watches the manifests directory; a name starting with a
// dot is not a manifest to it).
func installFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".rollout")
	if err := os.WriteFile(tmp, data, fi.Mode().Perm()); err != nil {
		return err
	}
	if err := os.Chmod(tmp, fi.Mode().Perm()); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// expectServed fails unless a client with the kubeconfig lists the nodes through the load
// balancer.
func (s *suite) expectServed(t *testing.T, kubeconfig string) {
	t.Helper()
	out, stderr, err := s.kubectl(kubeconfig, nil, "get", "nodes", "-o", "name")
	if err != nil {
		t.Errorf("%s refused: %v: %s", filepath.Base(kubeconfig), err, stderr)
		return
	}
	t.Logf("$ kubectl --kubeconfig %s get nodes -o name: %d nodes", filepath.Base(kubeconfig), len(strings.Fields(out)))
}

// expectRefused fails unless a client with the kubeconfig is refused with an error that
// says why.
func (s *suite) expectRefused(t *testing.T, kubeconfig, why string) {
	t.Helper()
	_, stderr, err := s.kubectl(kubeconfig, nil, "get", "nodes", "-o", "name")
	if err == nil {
		t.Errorf("%s still served", filepath.Base(kubeconfig))
		return
	}
	if !strings.Contains(stderr, why) {
		t.Errorf("%s refused, but not with %q: %s", filepath.Base(kubeconfig), why, stderr)
		return
	}
	t.Logf("$ kubectl --kubeconfig %s get nodes: %s", filepath.Base(kubeconfig), strings.TrimSpace(stderr))
}
