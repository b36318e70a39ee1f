package rollout

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/description"
	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/compiler/upgrade"
	"kubeforge.dev/kubeforge/emit"
)

// plan136 plans examples/ha.yaml from 1.36 to 1.37, workers two a stage.
func plan136(t *testing.T) *upgrade.Plan {
	t.Helper()
	return plan136With(t, nil)
}

// plan136With is plan136 with extra appended to the description.
func plan136With(t *testing.T, extra []byte) *upgrade.Plan {
	t.Helper()
	data, err := os.ReadFile("../../examples/ha.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data = append(bytes.Replace(data, []byte("v1.37.2"), []byte("v1.36.3"), 1), extra...)
	in := upgrade.Input{Name: "../../examples/ha-136.yaml", Data: data}
	to, _, err := compiler.ParseVersion("1.37")
	if err != nil {
		t.Fatal(err)
	}
	p, err := upgrade.Make(in, to, upgrade.Batch{Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestChanges: a control-plane stage restarts that host's static pods and kubelet and
// nothing elsewhere; the addons stage changes only the cluster bundle's kube-proxy, CoreDNS
// and kubeadm-config; a workers stage installs the kubelet on its hosts.
func TestChanges(t *testing.T) {
	p := plan136(t)
	changes, err := Changes(p)
	if err != nil {
		t.Fatal(err)
	}
	cp1 := changes[0]
	if len(cp1.Hosts) != 1 || cp1.Hosts[0].Host != "cp1" || cp1.Hosts[0].Kubelet != "v1.37.2" ||
		!slices.Equal(cp1.Hosts[0].StaticPods, []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"}) ||
		!slices.Contains(cp1.Hosts[0].Restarts, "kubelet.service") || len(cp1.Cluster) != 0 {
		t.Errorf("stage 1: %+v", cp1)
	}
	addons := changes[3]
	if p.Stages[3].Kind != upgrade.KindAddons || len(addons.Hosts) != 0 || len(addons.Cluster) != 3 {
		t.Errorf("addons stage: %+v", addons)
	}
	for _, f := range addons.Cluster {
		if !strings.Contains(f, "kube-proxy") && !strings.Contains(f, "coredns") && !strings.Contains(f, "kubeadm-config") {
			t.Errorf("addons stage changes %s", f)
		}
	}
	workers := changes[4]
	if len(workers.Hosts) != 2 || workers.Hosts[0].Host != "w1" || workers.Hosts[1].Kubelet != "v1.37.2" || len(workers.Hosts[0].StaticPods) != 0 {
		t.Errorf("workers stage: %+v", workers)
	}
}

// TestWriteEqualsCompile: each stage's written bundles are byte for byte what compiling the
// written description directly gives, with the same store; certificates stay the same across
// stages.
func TestWriteEqualsCompile(t *testing.T) {
	p := plan136(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "stages")
	store := filepath.Join(dir, "store")
	if err := Write(out, p, WriteOptions{StoreDir: store, Formats: []emit.Format{emit.FormatDir}}); err != nil {
		t.Fatal(err)
	}
	var firstCA []byte
	for _, s := range p.Stages {
		sd := filepath.Join(out, s.Name)
		data, err := os.ReadFile(filepath.Join(sd, DescriptionFile))
		if err != nil || !bytes.Equal(data, s.Description) {
			t.Fatalf("%s: description %v", s.Name, err)
		}
		src, ds := description.LoadBytes(filepath.Join(sd, DescriptionFile), data)
		c, _, ds := compiler.FromSource(src, ds)
		if ds.HasErrors() {
			t.Fatalf("%s: %v", s.Name, ds)
		}
		direct := filepath.Join(dir, "direct-"+s.Name)
		if _, err := emit.Compile(c, emit.CompileOptions{Output: direct, StoreDir: store, Formats: []emit.Format{emit.FormatDir}}); err != nil {
			t.Fatal(err)
		}
		if diff := treeDiff(t, filepath.Join(sd, BundlesDir), direct); diff != "" {
			t.Errorf("%s: written bundles differ from a direct compile: %s", s.Name, diff)
		}
		ca, err := os.ReadFile(filepath.Join(sd, BundlesDir, "cp1", "etc/kubernetes/pki/apiserver.crt"))
		if err != nil {
			t.Fatal(err)
		}
		if firstCA == nil {
			firstCA = ca
		} else if !bytes.Equal(ca, firstCA) {
			t.Errorf("%s: cp1's apiserver certificate changed between stages", s.Name)
		}
	}
}

// TestWriteKeepsKeysInBundles: with the default store, the only files under the stages
// directory that hold a private key are bundle files of mode 0600, and the store is beside
// the directory, not in it.
func TestWriteKeepsKeysInBundles(t *testing.T) {
	p := plan136(t)
	out := filepath.Join(t.TempDir(), "stages")
	if err := Write(out, p, WriteOptions{Formats: []emit.Format{emit.FormatDir}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(emit.StoreDirFor(out)); err != nil {
		t.Errorf("the store beside the stages: %v", err)
	}
	keys := 0
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !untrusted.ContainsPrivateKey(data) {
			return nil
		}
		keys++
		rel, _ := filepath.Rel(out, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if parts := strings.Split(rel, string(filepath.Separator)); len(parts) < 3 || parts[1] != BundlesDir || info.Mode().Perm() != 0o600 {
			t.Errorf("%s (mode %v) holds a private key", rel, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if keys == 0 {
		t.Error("no key file in the control-plane bundles: the walk checked nothing")
	}
}

// TestWriteRefusesKeysOutsideBundles: a store inside the stages directory, or a description
// holding a private key (here in a comment, which the stages keep), is refused before
// anything is written.
func TestWriteRefusesKeysOutsideBundles(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	var comment bytes.Buffer
	for _, line := range strings.Split(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), "\n") {
		comment.WriteString("# " + line + "\n")
	}
	for name, tc := range map[string]struct {
		plan  *upgrade.Plan
		store string
		says  string
	}{
		"store inside":     {plan136(t), "keys", "inside the output directory"},
		"key in a comment": {plan136With(t, comment.Bytes()), "", "holds a private key"},
		"store is the dir": {plan136(t), ".", "is the output directory"},
	} {
		dir := t.TempDir()
		out := filepath.Join(dir, "stages")
		store := ""
		if tc.store != "" {
			store = filepath.Join(out, tc.store)
		}
		err := Write(out, tc.plan, WriteOptions{StoreDir: store, Formats: []emit.Format{emit.FormatDir}})
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.says)
		}
		if _, err := os.Lstat(out); !os.IsNotExist(err) {
			t.Errorf("%s: the stages directory was written (%v)", name, err)
		}
	}
}

// treeDiff names the first file that differs between two trees, or "".
func treeDiff(t *testing.T, a, b string) string {
	t.Helper()
	files := func(root string) map[string][]byte {
		out := map[string][]byte{}
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			// The content index is bookkeeping of the machine that wrote the tree (the store's
			// directory, digests of how the model was loaded), not a bundle.
			if !d.IsDir() && d.Name() != ".kubeforge-index" {
				rel, _ := filepath.Rel(root, p)
				data, _ := os.ReadFile(p)
				out[rel] = data
			}
			return nil
		})
		return out
	}
	fa, fb := files(a), files(b)
	if len(fa) == 0 || len(fa) != len(fb) {
		return fmt.Sprintf("%d files and %d", len(fa), len(fb))
	}
	for p, d := range fa {
		if !bytes.Equal(d, fb[p]) {
			return p
		}
	}
	return ""
}
