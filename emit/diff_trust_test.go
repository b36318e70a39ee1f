package emit

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/emit/emittest"
	"kubeforge.dev/kubeforge/render/artifact"
)

// realKey returns a fresh EC private key in PEM.
func realKey(t *testing.T) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

// keyLines returns the base64 lines of a PEM key: none may appear in anything diff reports.
func keyLines(key []byte) []string {
	var out []string
	for _, l := range strings.Split(string(key), "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	return out
}

// reported returns everything diff reports of changes: each change's line and detail.
func reported(changes []Change) string {
	var b strings.Builder
	for _, c := range changes {
		b.WriteString(c.String() + "\n" + c.Detail + "\n")
	}
	return b.String()
}

// printed returns everything the CLI can print of changes: text with details, JSON and
// GitHub annotations (the latter with their escapes undone).
func printed(t *testing.T, changes []Change) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteDiffText(&b, changes, false); err != nil {
		t.Fatal(err)
	}
	if err := WriteDiffJSON(&b, changes); err != nil {
		t.Fatal(err)
	}
	var ann bytes.Buffer
	if err := WriteDiffAnnotations(&ann, "golden", changes); err != nil {
		t.Fatal(err)
	}
	b.WriteString(strings.NewReplacer("%0A", "\n", "%0D", "\r", "%3A", ":", "%2C", ",", "%25", "%").Replace(ann.String()))
	return b.String()
}

// byPath indexes changes by bundle:path.
func byPath(changes []Change) map[string]Change {
	m := map[string]Change{}
	for _, c := range changes {
		m[c.Bundle+":"+c.Path] = c
	}
	return m
}

// TestDiffNeverReadsThroughLinksNorShowsKeys plants a CA key (kept outside the tree) in a
// golden tree every way a pull request could: a symbolic link at a compiled path, a link to
// the directory holding it, a hard link, a copy under a .yaml name, its base64 in a
// kubeconfig-like text; plus a FIFO and a file over the size limit. Diff must report each without following links or
// blocking, and nothing it reports may hold a line of the key.
func TestDiffNeverReadsThroughLinksNorShowsKeys(t *testing.T) {
	key := realKey(t)
	outside := filepath.Join(t.TempDir(), "store")
	os.MkdirAll(outside, 0o700)
	caKey := filepath.Join(outside, "ca.key")
	if err := os.WriteFile(caKey, key, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "golden")
	bundles := emittest.Bundles()
	if err := Write(dir, Output{Hosts: bundles}); err != nil {
		t.Fatal(err)
	}
	host := filepath.Join(dir, "cp1")
	replace := func(node string, plant func(p string) error) {
		t.Helper()
		p := filepath.Join(host, node)
		os.Remove(p)
		if err := plant(p); err != nil {
			t.Fatal(err)
		}
	}
	apiserverPod := compiler.ManifestsDir + "/kube-apiserver.yaml"
	replace(apiserverPod, func(p string) error { return os.Symlink(caKey, p) })
	replace("/etc/keys", func(p string) error { return os.Symlink(outside, p) })
	replace(compiler.KubeletConfigPath, func(p string) error { return os.Link(caKey, p) })
	replace(compiler.KubeletUnitPath, func(p string) error { return os.WriteFile(p, key, 0o644) })
	replace(compiler.SysctlPath, func(p string) error {
		return os.WriteFile(p, []byte("client-key-data: "+base64.StdEncoding.EncodeToString(key)+"\n"), 0o644)
	})
	replace(compiler.ModulesLoadPath, func(p string) error { return syscall.Mkfifo(p, 0o644) })
	replace("/etc/stray.yaml", func(p string) error { return os.WriteFile(p, key, 0o644) })
	replace(compiler.KubeletDropInDir+"/10-kubeadm.conf", func(p string) error {
		// Sparse: larger than the limit without using the disk.
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Truncate(untrusted.TreeFileLimit + 1)
	})

	// The compile side too: a key in an artifact a renderer forgot to mark secret.
	next := emittest.Bundles()
	for i, a := range next[0].Artifacts {
		if a.Path == compiler.KubeletEnvPath {
			next[0].Artifacts[i].Data = key
		}
	}

	changes, err := Diff(dir, next)
	if err != nil {
		t.Fatal(err)
	}
	got := byPath(changes)
	want := map[string]string{
		apiserverPod:                                   "is a symbolic link; not followed",
		"/etc/keys":                                    "is a symbolic link; not followed",
		compiler.KubeletConfigPath:                     "secret sha256:",
		compiler.KubeletUnitPath:                       "secret sha256:",
		compiler.SysctlPath:                            "secret sha256:",
		compiler.ModulesLoadPath:                       "is a named pipe (FIFO); not read",
		compiler.KubeletEnvPath:                        "secret sha256:",
		"/etc/stray.yaml":                              "",
		compiler.KubeletDropInDir + "/10-kubeadm.conf": "is larger than the limit for a compared file; not read",
	}
	for p, detail := range want {
		c, ok := got["cp1:"+p]
		if !ok {
			t.Errorf("%s: not reported", p)
			continue
		}
		if !strings.HasPrefix(c.Detail, detail) {
			t.Errorf("%s: detail %q, want it to start with %q", p, c.Detail, detail)
		}
	}
	if len(changes) != len(want) {
		t.Errorf("%d changes, want %d:\n%s", len(changes), len(want), reported(changes))
	}
	out := printed(t, changes)
	for _, l := range keyLines(key) {
		if strings.Contains(out, l) {
			t.Fatalf("diff reports a line of the key:\n%s", out)
		}
	}
	if untrusted.ContainsPrivateKey([]byte(out)) {
		t.Fatalf("diff reports key material:\n%s", out)
	}
}

// TestDiffRedactionMarkerCountsOnlyForSecrets: a redacted file stands for its digest only where
// the compile has a secret, and only when it is exactly a redaction; elsewhere it is text.
func TestDiffRedactionMarkerCountsOnlyForSecrets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "golden")
	out := sampleOutput("1", 1)
	if err := Write(dir, Output{Hosts: []artifact.Bundle{Redact(out.Hosts[0])}}); err != nil {
		t.Fatal(err)
	}
	if changes, err := Diff(dir, out.Hosts); err != nil || len(changes) != 0 {
		t.Fatalf("compile against its redacted tree: %v %v", changes, err)
	}
	// A non-secret file replaced by a redaction of its own content is a change.
	etcd := artifact.File("/etc/kubernetes/manifests/etcd.yaml", 0o600, []byte("gen 1\n"))
	p := filepath.Join(dir, "h0", etcd.Path)
	os.WriteFile(p, redaction(etcd), 0o600)
	// A secret's redaction with text after the digest is not a redaction.
	keyFile := filepath.Join(dir, "h0", "etc/kubernetes/pki/ca.key")
	marker, _ := os.ReadFile(keyFile)
	os.WriteFile(keyFile, append(marker, "more\n"...), 0o600)
	changes, err := Diff(dir, out.Hosts)
	if err != nil {
		t.Fatal(err)
	}
	got := byPath(changes)
	if c := got["h0:/etc/kubernetes/manifests/etcd.yaml"]; !strings.Contains(c.Detail, "+gen 1") {
		t.Errorf("redaction marker in a non-secret file: %+v", c)
	}
	if c := got["h0:/etc/kubernetes/pki/ca.key"]; !strings.HasPrefix(c.Detail, "secret sha256:") {
		t.Errorf("extended redaction marker: %+v", c)
	}
}

// TestDiffRefusesBadManifests: a manifest is read like any file of the tree (no link, bounded,
// known fields, sane entries); one that is not a kubeforge manifest is an error naming it.
func TestDiffRefusesBadManifests(t *testing.T) {
	out := sampleOutput("1", 1)
	for name, plant := range map[string]func(p string) error{
		"link":          func(p string) error { os.Remove(p); return os.Symlink("/etc/hostname", p) },
		"unknown field": func(p string) error { return os.WriteFile(p, []byte(`{"bundle":"h0","files":[],"extra":1}`), 0o644) },
		"other bundle":  func(p string) error { return os.WriteFile(p, []byte(`{"bundle":"h9","files":[]}`), 0o644) },
		"escaping path": func(p string) error {
			return os.WriteFile(p, []byte(`{"bundle":"h0","files":[{"path":"/../x","type":"directory","mode":"0755"}]}`), 0o644)
		},
		"bad mode": func(p string) error {
			return os.WriteFile(p, []byte(`{"bundle":"h0","files":[{"path":"/x","type":"directory","mode":"rwx"}]}`), 0o644)
		},
		"fifo": func(p string) error { os.Remove(p); return syscall.Mkfifo(p, 0o644) },
	} {
		dir := filepath.Join(t.TempDir(), "out")
		if err := Write(dir, out); err != nil {
			t.Fatal(err)
		}
		mf := filepath.Join(dir, ManifestFile("h0"))
		if err := plant(mf); err != nil {
			t.Fatal(err)
		}
		if _, err := Diff(dir, out.Hosts); err == nil || !strings.Contains(err.Error(), mf) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
