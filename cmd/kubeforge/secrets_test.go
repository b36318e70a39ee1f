package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// keyLines returns every line of base64 key material held by the PEM files of dir: what no
// command may ever print.
func keyLines(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".key") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, l := range strings.Split(string(data), "\n") {
			if len(l) > 20 && !strings.HasPrefix(l, "-----") {
				out[l] = p
			}
		}
		// Kubeconfigs embed keys as base64 of the whole PEM file.
		out[base64.StdEncoding.EncodeToString(data)[:60]] = p
		return nil
	})
	if len(out) == 0 {
		t.Fatalf("no keys under %s", dir)
	}
	// An EC private key ends with its public point, so its last line can be found in its
	// public key or certificate: public material, not a leak.
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".key") {
			return err
		}
		data, err := os.ReadFile(p)
		for l := range out {
			if strings.Contains(string(data), l) {
				delete(out, l)
			}
		}
		return err
	})
	return out
}

// TestNoCommandPrintsAKey plants private keys where commands read (through symbolic links,
// hard links and renamed copies, in a compared tree, a PKI store, a bundle and as descriptions)
// and runs every command over them: no output stream of any command holds a line of a key.
func TestNoCommandPrintsAKey(t *testing.T) {
	dir := t.TempDir()
	desc := "../../examples/ha.yaml"
	out := filepath.Join(dir, "out")
	if r := kubeforge(t, "compile", "-o", out, "--format", "dir,tar,ansible", desc); r.code != exitOK {
		t.Fatal(r)
	}
	store := out + ".pki"
	secrets := keyLines(t, store)
	caKey := filepath.Join(store, "ca.key")
	saKey := filepath.Join(store, "sa.key")

	// A tree to compare against, with keys planted three ways.
	golden := filepath.Join(dir, "golden")
	if r := kubeforge(t, "compile", "-o", golden, "--pki-dir", filepath.Join(dir, "golden.pki"), desc); r.code != exitOK {
		t.Fatal(r)
	}
	plant := func(path string, how func(dst string) error) {
		t.Helper()
		os.Remove(path)
		if err := how(path); err != nil {
			t.Fatal(err)
		}
	}
	copyOf := func(src string) func(string) error {
		return func(dst string) error {
			data, err := os.ReadFile(src)
			if err != nil {
				return err
			}
			return os.WriteFile(dst, data, 0o644)
		}
	}
	plant(filepath.Join(golden, "w1/var/lib/kubelet/config.yaml"), func(dst string) error { return os.Symlink(caKey, dst) })
	plant(filepath.Join(golden, "cp1/etc/kubernetes/manifests/etcd.yaml"), func(dst string) error { return os.Link(caKey, dst) })
	plant(filepath.Join(golden, "cp2/etc/sysctl.d/99-kubernetes.conf"), copyOf(saKey))
	plant(filepath.Join(golden, "cluster/10-config/00-kubeadm-config.yaml"), copyOf(filepath.Join(out, "cp1/etc/kubernetes/admin.conf")))
	plant(filepath.Join(golden, "w2/etc/kubernetes/pki/ca.crt"), copyOf(caKey))

	// Descriptions that are keys.
	keyYAML := filepath.Join(dir, "key.yaml")
	os.Symlink(caKey, keyYAML)
	keyJSON := filepath.Join(dir, "key.json")
	os.Link(saKey, keyJSON)
	cueDir := filepath.Join(dir, "cue")
	os.Mkdir(cueDir, 0o755)
	copyOf(caKey)(filepath.Join(cueDir, "cluster.cue"))
	// A description whose external etcd files are keys of the wrong kind.
	ext := filepath.Join(dir, "ext")
	os.Mkdir(ext, 0o755)
	os.WriteFile(filepath.Join(ext, "cluster.yaml"), []byte(`apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: ext
etcd:
  topology: external
  external: {endpoints: ["https://10.0.0.9:2379"], caFile: `+caKey+`, certFile: `+saKey+`, keyFile: `+caKey+`}
hosts:
  - {name: cp1, addresses: [10.0.0.11], roles: [control-plane]}
`), 0o644)
	// A bundle whose kubeconfig names a key as its certificate.
	bundle := filepath.Join(dir, "bundle")
	os.MkdirAll(filepath.Join(bundle, "etc/kubernetes"), 0o755)
	os.WriteFile(filepath.Join(bundle, "etc/kubernetes/kubelet.conf"), []byte("apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    client-certificate: "+caKey+"\n"), 0o600)
	os.Symlink(caKey, filepath.Join(bundle, "etc/kubernetes/leak.crt"))

	runs := [][]string{
		{"validate", keyYAML}, {"validate", keyJSON}, {"validate", cueDir}, {"validate", "--output", "json", keyYAML},
		{"validate", "--output", "github", keyYAML}, {"validate", filepath.Join(ext, "cluster.yaml")},
		{"validate", caKey}, {"defaults", keyYAML}, {"compile", "-o", filepath.Join(dir, "o2"), keyYAML},
		{"compile", "-o", filepath.Join(dir, "o3"), "--output", "json", filepath.Join(ext, "cluster.yaml")},
		{"compile", "-o", filepath.Join(dir, "o4"), "-v", desc},
		{"compile", "-o", filepath.Join(dir, "o5"), "--output", "json", desc},
		{"diff", desc, "--against", golden},
		{"diff", desc, "--against", golden, "--pki-dir", store},
		{"diff", desc, "--against", golden, "--output", "json"},
		{"diff", desc, "--against", golden, "--output", "github"},
		{"diff", desc, "--against", golden, "--no-pki"},
		{"diff", desc, "--against", out},
		{"pki", "check", "--pki-dir", store}, {"pki", "check", "--pki-dir", store, "--output", "json"},
		{"pki", "check", "--bundle", out}, {"pki", "check", "--bundle", golden}, {"pki", "check", "--bundle", bundle},
		{"pki", "check", "--bundle", bundle, "--output", "json"},
		{"check", desc}, {"check", "--output", "json", desc}, {"check", keyYAML},
		{"upgrade", "plan", "../../examples/kubernetes-1.35.yaml", "--to", "1.37", "--output", "json"}, {"upgrade", "plan", keyYAML, "--to", "1.37"},
		{"schema"}, {"version"}, {"init"}, {"help", "compile"},
	}
	for _, args := range runs {
		r := kubeforge(t, args...)
		for line, file := range secrets {
			for name, stream := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
				if strings.Contains(stream, line) {
					t.Errorf("kubeforge %s: %s holds a line of %s (%.24s...)", strings.Join(args, " "), name, file, line)
				}
			}
		}
	}
}
