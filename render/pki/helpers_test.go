package pki

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/kubeconfig"
)

// examples are the descriptions every PKI test runs over.
var examples = []string{"ha.yaml", "dedicated-etcd.yaml", "dual-stack.yaml", "single-node.yaml"}

// t0 is the pinned clock of the tests.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

var (
	examplesMu     sync.Mutex
	examplesIssued = map[string]*Result{}
)

// issuedExample returns the example's cluster and its PKI issued afresh at the pinned clock
// without a store, shared by the tests that only read it (RSA keys are slow to make).
func issuedExample(t testing.TB, name string) (*compiler.Cluster, *Result) {
	t.Helper()
	examplesMu.Lock()
	defer examplesMu.Unlock()
	if r, ok := examplesIssued[name]; ok {
		return r.cluster, r
	}
	r := issue(t, compilertest.Load(t, name), Options{})
	examplesIssued[name] = r
	return r.cluster, r
}

// issue runs Issue at the pinned clock (or opts.Now) and fails the test on error.
func issue(t testing.TB, c *compiler.Cluster, opts Options) *Result {
	t.Helper()
	if opts.Now == nil {
		opts.Now = at(t0)
	}
	r, err := Issue(c, opts)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return r
}

// issuedStore issues the description into a new, empty store and returns the store's next
// content.
func issuedStore(t testing.TB, c *compiler.Cluster) (*Store, *Result) {
	t.Helper()
	r := issue(t, c, Options{Store: &Store{Dir: "pki"}})
	return r.Store(), r
}

// contentOf returns a store's files as text (mode and content), by path: to compare stores.
func contentOf(st *Store) map[string]string {
	out := map[string]string{}
	for rel, f := range st.Files {
		out[rel] = f.Mode.String() + " " + string(f.Data)
	}
	return out
}

// withFiles returns a copy of st with files replaced; nil content removes a file.
func withFiles(st *Store, files map[string][]byte) *Store {
	out := st.clone()
	for rel, data := range files {
		if data == nil {
			delete(out.Files, rel)
			continue
		}
		out.Files[rel] = StoreFile{Data: data, Mode: StoreKeyMode}
	}
	return out
}

func lookup(arts []artifact.Artifact, path string) (artifact.Artifact, bool) {
	for _, a := range arts {
		if a.Path == path {
			return a, true
		}
	}
	return artifact.Artifact{}, false
}

// snapshot returns every file under dir with its content and mode, by relative path.
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if info.IsDir() {
			out[rel+"/"] = info.Mode().String()
			return nil
		}
		data, err := os.ReadFile(p)
		out[rel] = info.Mode().String() + " " + string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// certOf returns the certificate an artifact holds: a PEM certificate, or a kubeconfig's
// client certificate.
func certOf(t testing.TB, a artifact.Artifact) *x509.Certificate {
	t.Helper()
	data := a.Data
	if k, ok := kubeconfig.Parse(a.Data); ok {
		data = k.Users[0].User.ClientCertificateData
	}
	c, err := parseCert(data)
	if err != nil {
		t.Fatalf("%s: %v", a.Path, err)
	}
	return c
}

// isCertArtifact reports whether an artifact holds a certificate we issue (not the
// external-etcd files, not sa.pub).
func isCertArtifact(a artifact.Artifact) bool {
	if a.IsDir() {
		return false
	}
	if bytes.HasPrefix(a.Data, []byte("-----BEGIN CERTIFICATE")) {
		return true
	}
	_, ok := kubeconfig.Parse(a.Data)
	return ok
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
