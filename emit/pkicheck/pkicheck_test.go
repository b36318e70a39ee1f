package pkicheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/emit/emittest"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/kubeconfig"
	"kubeforge.dev/kubeforge/render/pki"
)

func TestCheckStore(t *testing.T) {
	c := compilertest.Load(t, "ha.yaml")
	dir, _ := committedStore(t, c)
	now := t0.Add(24 * time.Hour)
	rep, err := Store(dir, now)
	st := rep.Certificates
	if err != nil {
		t.Fatal(err)
	}
	// 3 CAs; 12 certificates per control-plane host and super-admin's on cp1; 2 per worker.
	if len(st) != 3+3*12+1+3*2 {
		t.Fatalf("%d certificates, want 46", len(st))
	}
	if pki.AnyFailed(st) {
		t.Fatalf("a fresh store fails its check:\n%s", table(t, st))
	}
	byFile := map[string]pki.CertStatus{}
	for _, s := range st {
		byFile[s.File] = s
	}
	ca, leaf := byFile["ca.crt"], byFile["hosts/w1/kubelet-client.crt"]
	if !ca.IsCA || ca.Residual != c.PKI.CAValidity-24*time.Hour || ca.Subject != "CN=kubernetes" || ca.Host != "" {
		t.Errorf("ca.crt: %+v", ca)
	}
	if leaf.IsCA || leaf.Residual != c.PKI.CertValidity-24*time.Hour || leaf.Subject != "CN=system:node:w1,O=system:nodes" ||
		leaf.Issuer != "CN=kubernetes" || leaf.Expired || leaf.Host != "w1" {
		t.Errorf("kubelet-client: %+v", leaf)
	}

	tab := table(t, st)
	lines := strings.Split(strings.TrimSpace(tab), "\n")
	if len(lines) != len(st)+1 || !strings.HasPrefix(lines[0], "CERTIFICATE") || !strings.HasSuffix(lines[0], "STATUS") {
		t.Errorf("table:\n%s", tab)
	}
	if !strings.Contains(tab, "hosts/w1/kubelet-client.crt") || !strings.Contains(tab, "364d") {
		t.Errorf("table lacks the kubelet certificate or its residual time:\n%s", tab)
	}

	// After the certificates expire.
	rep, _ = Store(dir, t0.Add(c.PKI.CertValidity+time.Hour))
	st = rep.Certificates
	var js bytes.Buffer
	pki.WriteJSON(&js, st)
	var decoded []map[string]any
	if err := json.Unmarshal(js.Bytes(), &decoded); err != nil {
		t.Fatal(err)
	}
	for _, d := range decoded {
		expired := d["isCA"] == false
		if d["expired"] != expired {
			t.Errorf("%v: expired %v, want %v", d["file"], d["expired"], expired)
		}
		if expired && d["residualSeconds"].(float64) != -3600 {
			t.Errorf("%v: residual %v", d["file"], d["residualSeconds"])
		}
	}
	if !pki.AnyFailed(st) {
		t.Error("expired certificates do not fail the check")
	}
}

// TestCheckStoreFindsForeignFiles: a key of another pair, a certificate of another CA and a
// link in the store are each reported on their row, with the reason; the other rows pass.
func TestCheckStoreFindsForeignFiles(t *testing.T) {
	c := compilertest.Load(t, "ha.yaml")
	dir, _ := committedStore(t, c)
	oc, other := issuedExample(t, "single-node.yaml")
	foreign := otherHostFiles(t, oc, other)
	os.WriteFile(filepath.Join(dir, "hosts/w1/kubelet-client.key"), foreign[compiler.APIServerKeyPath], 0o600)
	os.WriteFile(filepath.Join(dir, "hosts/cp1/apiserver.crt"), foreign[compiler.APIServerCertPath], 0o644)
	outside := filepath.Join(t.TempDir(), "elsewhere.crt")
	os.WriteFile(outside, foreign[compiler.CACertPath], 0o644)
	os.Remove(filepath.Join(dir, "hosts/w2/kubelet-serving.crt"))
	os.Symlink(outside, filepath.Join(dir, "hosts/w2/kubelet-serving.crt"))

	rep, err := Store(dir, t0)
	st := rep.Certificates
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"hosts/w1/kubelet-client.crt":  {"key /hosts/w1/kubelet-client.key is not this certificate's key"},
		"hosts/cp1/apiserver.crt":      {"not signed by its CA /ca.crt (CN=kubernetes); issued by CN=kubernetes", "key /hosts/cp1/apiserver.key is not this certificate's key"},
		"hosts/w2/kubelet-serving.crt": {"is a symbolic link; not followed"},
	}
	checkProblems(t, st, want)
}

// otherHostFiles returns the first host's PKI files of another cluster, by node path.
func otherHostFiles(t *testing.T, c *compiler.Cluster, r *pki.Result) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, a := range r.HostArtifacts(c.Hosts[0]) {
		out[a.Path] = a.Data
	}
	return out
}

// checkProblems fails unless exactly the files of want have problems, exactly those.
func checkProblems(t *testing.T, st []pki.CertStatus, want map[string][]string) {
	t.Helper()
	for _, s := range st {
		w := want[s.File]
		if fmt.Sprint(s.Problems) != fmt.Sprint(w) {
			t.Errorf("%s: problems %q, want %q", s.File, s.Problems, w)
		}
		delete(want, s.File)
	}
	for f := range want {
		t.Errorf("%s: no row", f)
	}
}

func table(t *testing.T, st []pki.CertStatus) string {
	t.Helper()
	var b bytes.Buffer
	if err := pki.WriteTable(&b, st); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestCheckBundle(t *testing.T) {
	c, r := issuedExample(t, "dual-stack.yaml")
	root := t.TempDir()
	n := 0
	for _, h := range c.Hosts {
		arts := r.HostArtifacts(h)
		emittest.WriteHostTree(t, root, h.Name, arts)
		for _, a := range arts {
			if isCertArtifact(a) {
				n++
			}
		}
	}
	rep, err := Bundle(root, t0)
	st := rep.Certificates
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != n || pki.AnyFailed(st) {
		t.Errorf("%d certificates found, %d in the bundles; failed: %v\n%s", len(st), n, pki.AnyFailed(st), table(t, st))
	}
	found := false
	for _, s := range st {
		if s.File == "cp1/etc/kubernetes/admin.conf" && s.Subject == "CN=kubernetes-admin,O=kubeadm:cluster-admins" && s.Host == "cp1" {
			found = true
		}
	}
	if !found {
		t.Error("admin.conf's client certificate not reported")
	}

	// One host's tree alone.
	rep, err = Bundle(filepath.Join(root, "w1"), t0)
	one := rep.Certificates
	if err != nil || len(one) == 0 || pki.AnyFailed(one) || one[0].Host != "" || strings.HasPrefix(one[0].File, "w1/") {
		t.Errorf("w1's tree: %+v %v", one, err)
	}

	if _, err := Bundle(t.TempDir(), t0); err == nil || !strings.Contains(err.Error(), "holds no host tree") {
		t.Errorf("a directory without host trees: %v", err)
	}

	bad := filepath.Join(root, "w1", "broken.crt")
	os.WriteFile(bad, []byte("not a certificate"), 0o644)
	rep, err = Bundle(root, t0)
	st = rep.Certificates
	if err != nil {
		t.Fatal(err)
	}
	checkProblems(t, st, map[string][]string{"w1/broken.crt": {"holds no certificate: no PEM certificate"}})
}

// TestCheckBundleFindsForeignFiles tampers with host trees the ways a mistake or a pull request
// could: a certificate of another CA, a key of another pair, a foreign ca.crt on a worker, a
// kubeconfig naming its certificate by path (inside the tree, outside it, through a link), a
// linked certificate. Each row says what is wrong, the others pass, and nothing printed holds
// a key.
func TestCheckBundleFindsForeignFiles(t *testing.T) {
	c, r := issuedExample(t, "ha.yaml")
	oc, other := issuedExample(t, "single-node.yaml")
	foreign := otherHostFiles(t, oc, other)
	root := t.TempDir()
	var keys [][]byte
	for _, h := range c.Hosts {
		arts := r.HostArtifacts(h)
		emittest.WriteHostTree(t, root, h.Name, arts)
		for _, a := range arts {
			if a.Secret {
				keys = append(keys, a.Data)
			}
		}
	}
	put := func(host, node string, data []byte) {
		t.Helper()
		p := filepath.Join(root, host, node)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.Remove(p)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	put("cp1", compiler.APIServerCertPath, foreign[compiler.APIServerCertPath])
	put("cp2", compiler.FrontProxyClientKey, foreign[compiler.FrontProxyClientKey])
	put("w1", compiler.CACertPath, foreign[compiler.CACertPath])

	// w2's kubelet.conf as after the kubelet's bootstrap: the certificate and key in a pair
	// file the kubeconfig names.
	w2conf, _ := os.ReadFile(filepath.Join(root, "w2", compiler.KubeletConfPath))
	cert, key := kubeconfigPair(t, w2conf)
	pairFile := compiler.KubeletPKIDir + "/kubelet-client-current.pem"
	put("w2", pairFile, append(cert, key...))
	put("w2", compiler.KubeletConfPath, referencing(t, w2conf, pairFile, pairFile))
	// w3's names a file outside the tree, and cp3's admin.conf a link to a certificate.
	w3conf, _ := os.ReadFile(filepath.Join(root, "w3", compiler.KubeletConfPath))
	put("w3", compiler.KubeletConfPath, referencing(t, w3conf, "../../../../../../etc/hostname", ""))
	outside := filepath.Join(t.TempDir(), "cert.pem")
	os.WriteFile(outside, cert, 0o644)
	os.Symlink(outside, filepath.Join(root, "cp3", compiler.PKIDir, "link.pem"))
	cp3conf, _ := os.ReadFile(filepath.Join(root, "cp3", compiler.AdminConfPath))
	put("cp3", compiler.AdminConfPath, referencing(t, cp3conf, "pki/link.pem", ""))

	rep, err := Bundle(root, t0)
	st := rep.Certificates
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]pki.CertStatus{}
	for _, s := range st {
		rows[s.File] = s
	}
	if s := rows["w2/etc/kubernetes/kubelet.conf"]; s.Certificate != pairFile || s.Subject != "CN=system:node:w2,O=system:nodes" {
		t.Errorf("kubelet.conf naming its pair file: %+v", s)
	}
	checkProblems(t, st, map[string][]string{
		"cp1/etc/kubernetes/pki/apiserver.crt": {
			"not signed by its CA /etc/kubernetes/pki/ca.crt (CN=kubernetes); issued by CN=kubernetes",
			"key /etc/kubernetes/pki/apiserver.key is not this certificate's key"},
		"cp2/etc/kubernetes/pki/front-proxy-client.crt": {"key /etc/kubernetes/pki/front-proxy-client.key is not this certificate's key"},
		"w1/etc/kubernetes/pki/ca.crt":                  nil,
		"w1/etc/kubernetes/kubelet.conf": {
			"not signed by its CA /etc/kubernetes/pki/ca.crt (CN=kubernetes); issued by CN=kubernetes",
			"trusts a CA other than /etc/kubernetes/pki/ca.crt"},
		"w1/var/lib/kubelet/pki/kubelet.crt": {"not signed by its CA /etc/kubernetes/pki/ca.crt (CN=kubernetes); issued by CN=kubernetes"},
		"w3/etc/kubernetes/kubelet.conf":     {"user system:node:w3: client-certificate /etc/hostname is not in the host tree"},
		"cp3/etc/kubernetes/admin.conf":      {"user kubernetes-admin: client-certificate /etc/kubernetes/pki/link.pem is a symbolic link; not followed"},
	})
	if !pki.AnyFailed(st) {
		t.Error("the check passes")
	}
	var js bytes.Buffer
	pki.WriteJSON(&js, st)
	printed := table(t, st) + js.String()
	for _, k := range keys {
		for _, l := range strings.Split(string(k), "\n") {
			if len(l) > 20 && !strings.HasPrefix(l, "-----") && strings.Contains(printed, l) {
				t.Fatalf("check prints a line of a key: %s", l)
			}
		}
	}
	if untrusted.ContainsPrivateKey([]byte(printed)) {
		t.Fatal("check prints key material")
	}
}

// kubeconfigPair returns the client certificate and key a kubeconfig embeds.
func kubeconfigPair(t *testing.T, conf []byte) (cert, key []byte) {
	t.Helper()
	k, ok := kubeconfig.Parse(conf)
	if !ok {
		t.Fatal("not a kubeconfig")
	}
	return k.Users[0].User.ClientCertificateData, k.Users[0].User.ClientKeyData
}

// referencing returns the kubeconfig with its user's certificate named by path instead of
// embedded, and its key too when keyRef is set (else the key stays embedded).
func referencing(t *testing.T, conf []byte, certRef, keyRef string) []byte {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal(conf, &m); err != nil {
		t.Fatal(err)
	}
	user := m["users"].([]any)[0].(map[string]any)["user"].(map[string]any)
	delete(user, "client-certificate-data")
	user["client-certificate"] = certRef
	if keyRef != "" {
		delete(user, "client-key-data")
		user["client-key"] = keyRef
	}
	out, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// t0 is the pinned clock of the tests.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// issuedExample issues the PKI of an example description at t0.
func issuedExample(t testing.TB, name string) (*compiler.Cluster, *pki.Result) {
	t.Helper()
	c := compilertest.Load(t, name)
	r, err := pki.Issue(c, pki.Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	return c, r
}

// committedStore issues the description into a new store and writes it to a directory, as a
// compile would.
func committedStore(t testing.TB, c *compiler.Cluster) (string, *pki.Result) {
	t.Helper()
	r, err := pki.Issue(c, pki.Options{Store: &pki.Store{Dir: "pki"}, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	return writeStore(t, r.Store()), r
}

// isCertArtifact reports whether the check lists the artifact: a certificate or a kubeconfig.
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
