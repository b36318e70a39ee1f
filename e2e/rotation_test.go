//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler"
)

// rotationStage is one compile of a key rotation and what etcd must then show.
type rotationStage struct {
	keys  string
	stage compiler.RotationStage
	// rewrite: the operator re-writes the Secrets once this stage runs everywhere.
	rewrite bool
	// writer is the key e2eSecret is stored with once the stage is rolled out.
	writer string
}

// checkEncryptionRotation walks a key rotation on the running cluster, as README's encryption
// at rest section tells an operator: each stage a compile of the description with another key
// list (from the same PKI store), its EncryptionConfiguration put on every control-plane host
// and the apiservers restarted; e2eSecret (made by checkEncryptionAtRest with key1) reads back
// through the API after each, and etcd shows which key stored it. Dropping key1 while it
// still writes is refused by the compile. It runs last: it leaves the apiservers on key2 and
// the bundle's EncryptionConfiguration changed.
func (s *suite) checkEncryptionRotation(t *testing.T) {
	began := time.Now()
	e := s.cluster.APIServer.EncryptionAtRest
	if e == nil || len(e.Keys) != 1 || e.Writer().Name != "key1" {
		t.Fatal("examples/e2e.yaml must encrypt with the default key, key1")
	}
	superAdmin := s.superAdminConf(t)
	for i, st := range []rotationStage{
		{"[{name: key1}, {name: key2}]", compiler.StageNewKeyReading, false, "key1"},
		{"[{name: key2}, {name: key1}]", compiler.StageNewKeyWriting, true, "key2"},
		{"[{name: key2}]", compiler.StageSingleKey, false, "key2"},
	} {
		out, err := s.compileKeys(fmt.Sprintf("stage%d", i+1), st.keys)
		if err != nil {
			t.Fatalf("keys %s: %v", st.keys, err)
		}
		check, err := exec.CommandContext(s.ctx, s.cli, "pki", "check", "--bundle", out).Output()
		if err != nil || !bytes.Contains(check, []byte(": "+string(st.stage)+" (from the host's EncryptionConfiguration)")) {
			t.Errorf("keys %s: pki check --bundle does not say %q (%v):\n%s", st.keys, st.stage, err, check)
		}
		s.rollOutEncryption(t, out)
		if st.rewrite {
			all, stderr, err := s.kubectl(superAdmin, nil, "get", "secrets", "-A", "-o", "json")
			if err != nil {
				t.Fatalf("kubectl get secrets: %v: %s", err, stderr)
			}
			if _, stderr, err := s.kubectl(superAdmin, []byte(all), "replace", "-f", "-"); err != nil {
				t.Fatalf("kubectl replace -f -: %v: %s", err, stderr)
			}
		}
		s.checkStoredWith(t, st.writer)
		s.checkSecretReadsBack(t, superAdmin)
		t.Logf("keys %s (%s): the Secret is stored with %s and reads back", st.keys, st.stage, st.writer)
		if st.stage == compiler.StageNewKeyReading {
			// Skipping stage 2 would drop key1 while everything is still written with it.
			if _, err := s.compileKeys("skip-stage2", "[{name: key2}]"); err == nil || !strings.Contains(err.Error(), "key1 wrote at the last compile and is dropped") {
				t.Errorf("keys [key2] right after stage 1: %v", err)
			}
		}
	}
	t.Logf("rotation: three stages in %s", time.Since(began).Round(time.Second))
}

// compileKeys compiles the description with apiServer.encryptionAtRest.keys set to keys (an
// overlay file unified with it) from the suite's PKI store, into a directory of its own, and
// returns that directory (run/rotate-NAME); the error holds the compile's output.
func (s *suite) compileKeys(name, keys string) (string, error) {
	overlay := filepath.Join(s.run, "rotate-"+name+".yaml")
	if err := os.WriteFile(overlay, []byte("apiServer: {encryptionAtRest: {keys: "+keys+"}}\n"), 0o644); err != nil {
		return "", err
	}
	out := filepath.Join(s.run, "rotate-"+name)
	res, err := exec.CommandContext(s.ctx, s.cli, "compile", description, overlay, "-o", out, "--pki-dir", s.out+".pki").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("kubeforge compile: %v: %s", err, res)
	}
	return out, nil
}

// rollOutEncryption installs the EncryptionConfiguration of a compiled output on every
// control-plane host and restarts their apiservers (which read it only when they start), all
// at once, then waits until each is ready again.
func (s *suite) rollOutEncryption(t *testing.T, out string) {
	t.Helper()
	var pods []staticPod
	for _, h := range s.controlPlanes() {
		data, err := os.ReadFile(filepath.Join(out, h.name, compiler.EncryptionConfigPath))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(h.path(compiler.EncryptionConfigPath), data, 0o600); err != nil {
			t.Fatal(err)
		}
		pods = append(pods, s.podOf(t, h, podAPIServer))
	}
	var wg sync.WaitGroup
	for _, sp := range pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.started[sp.name()].stop(15 * time.Second)
		}()
	}
	wg.Wait()
	s.startPods(t, func(sp staticPod) bool { return sp.host.controlPlane && sp.pod.Name == podAPIServer })
	errs := make([]error, len(pods))
	for i, sp := range pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.waitProbes(sp, 90*time.Second)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// checkStoredWith checks that etcd holds e2eSecret encrypted with the named key.
func (s *suite) checkStoredWith(t *testing.T, key string) {
	t.Helper()
	h := s.controlPlanes()[0]
	stdout, stderr, err := s.etcdctlOnHost(h, s.localEtcd(t, h), "get", "/registry/secrets/default/"+e2eSecret, "--print-value-only")
	if err != nil {
		t.Fatalf("etcdctl get: %v: %s", err, stderr)
	}
	prefix := fmt.Sprintf("k8s:enc:%s:v1:%s:", s.cluster.APIServer.EncryptionAtRest.Writer().Provider, key)
	if !strings.HasPrefix(stdout, prefix) {
		t.Errorf("the Secret is stored as %q..., want the prefix %s", firstBytes(stdout, 40), prefix)
	}
	if strings.Contains(stdout, e2eSecretValue) {
		t.Error("etcd holds the Secret's value in plain text")
	}
	t.Logf("$ etcdctl get /registry/secrets/default/%s: %q...", e2eSecret, firstBytes(stdout, 40))
}

// checkSecretReadsBack checks that e2eSecret reads back through the API with its value.
func (s *suite) checkSecretReadsBack(t *testing.T, kubeconfig string) {
	t.Helper()
	got, stderr, err := s.kubectl(kubeconfig, nil, "get", "secret", e2eSecret, "-n", "default", "-o", "jsonpath={.data.value}")
	if err != nil {
		t.Fatalf("kubectl get secret: %v: %s", err, stderr)
	}
	if want := "a3ViZWZvcmdlLWUyZS1wbGFpbnRleHQtbWFya2Vy"; got != want { // base64 of e2eSecretValue
		t.Errorf("the Secret reads back as %q, want %q", got, want)
	}
}
