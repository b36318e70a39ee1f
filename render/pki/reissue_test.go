package pki

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler/compilertest"

	"github.com/google/go-cmp/cmp"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

func exampleText(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../../examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// edit returns text with old replaced by new, failing when old is absent.
func edit(t *testing.T, text, old, new string) string {
	t.Helper()
	if !strings.Contains(text, old) {
		t.Fatalf("%q not in the description", old)
	}
	return strings.Replace(text, old, new, 1)
}

// changes returns the events that are not Kept.
func changes(r *Result) []Event {
	var out []Event
	for _, e := range r.Report() {
		if e.Kind != Kept {
			out = append(out, e)
		}
	}
	return out
}

// sameArtifacts reports the paths whose artifacts differ between two bundles.
func differingPaths(a, b []artifact.Artifact) []string {
	var out []string
	for _, x := range a {
		y, ok := lookup(b, x.Path)
		if !ok || !bytes.Equal(x.Data, y.Data) || x.Mode != y.Mode || x.Secret != y.Secret {
			out = append(out, x.Path)
		}
	}
	for _, y := range b {
		if _, ok := lookup(a, y.Path); !ok {
			out = append(out, y.Path)
		}
	}
	return out
}

func TestReissueNothingChanged(t *testing.T) {
	c := compilertest.Load(t, "ha.yaml")
	st, r1 := issuedStore(t, c)
	// A day later: still nothing to do.
	r2 := issue(t, c, Options{Store: st, Now: at(t0.Add(24 * time.Hour))})
	if ch := changes(r2); len(ch) != 0 || r2.Changed() {
		t.Fatalf("second issue changed %v", ch)
	}
	if d := cmp.Diff(contentOf(st), contentOf(r2.Store())); d != "" {
		t.Errorf("store changed:\n%s", d)
	}
	for _, h := range c.Hosts {
		if d := differingPaths(r1.HostArtifacts(h), r2.HostArtifacts(h)); len(d) > 0 {
			t.Errorf("%s: artifacts differ: %v", h.Name, d)
		}
	}
	// super-admin's certificate is cp1's only.
	if n := len(r2.Report()); n != 4+3*12+1+3*2 {
		t.Errorf("%d events, want one per CA, sa and certificate (47)", n)
	}
}

func TestReissueWorkerAddress(t *testing.T) {
	text := exampleText(t, "ha.yaml")
	c1 := compilertest.LoadYAML(t, text)
	st, r1 := issuedStore(t, c1)
	c2 := compilertest.LoadYAML(t, edit(t, text, "{name: w2, addresses: [192.168.10.22]", "{name: w2, addresses: [192.168.10.32]"))
	r2 := issue(t, c2, Options{Store: st})
	ch := changes(r2)
	if len(ch) != 1 || ch[0].Kind != Reissued || ch[0].Host != "w2" || ch[0].Name != "kubelet-serving" ||
		!strings.Contains(ch[0].Reason, "192.168.10.32") || !strings.Contains(ch[0].Reason, "192.168.10.22") {
		t.Fatalf("changes %+v, want only w2's kubelet serving certificate re-issued for its new address", ch)
	}
	for _, h := range c2.Hosts {
		d := differingPaths(r1.HostArtifacts(compilertest.Host(t, c1, h.Name)), r2.HostArtifacts(h))
		want := []string(nil)
		if h.Name == "w2" {
			want = []string{compiler.KubeletServingCert, compiler.KubeletServingKey}
		}
		if !slices.Equal(d, want) {
			t.Errorf("%s: changed %v, want %v", h.Name, d, want)
		}
	}
	serving, _ := lookup(r2.HostArtifacts(compilertest.Host(t, c2, "w2")), compiler.KubeletServingCert)
	if ips := certOf(t, serving).IPAddresses; len(ips) != 1 || ips[0].String() != "192.168.10.32" {
		t.Errorf("new serving certificate for %v", ips)
	}
}

func TestReissueAddControlPlane(t *testing.T) {
	text := exampleText(t, "ha.yaml")
	c1 := compilertest.LoadYAML(t, text)
	st, r1 := issuedStore(t, c1)
	cp3 := "  - {name: cp3, addresses: [192.168.10.13], roles: [control-plane]}\n"
	c2 := compilertest.LoadYAML(t, edit(t, text, cp3, cp3+"  - {name: cp4, addresses: [192.168.10.14], roles: [control-plane]}\n"))
	r2 := issue(t, c2, Options{Store: st})
	for _, e := range changes(r2) {
		if e.Host != "cp4" || e.Kind != Issued {
			t.Errorf("unexpected change %+v", e)
		}
	}
	var cp4 []string
	for _, e := range r2.Report() {
		if e.Host == "cp4" {
			cp4 = append(cp4, e.Name)
		}
	}
	// A control-plane host that is not the first has no super-admin certificate.
	if len(cp4) != 12 || slices.Contains(cp4, "super-admin") {
		t.Errorf("cp4 got %v, want its 12 certificates, without super-admin", cp4)
	}
	keys := map[string]string{}
	for _, h := range c2.Hosts {
		if !h.Has(compiler.RoleControlPlane) {
			continue
		}
		key, _ := lookup(r2.HostArtifacts(h), compiler.APIServerKeyPath)
		if other, dup := keys[string(key.Data)]; dup {
			t.Errorf("%s and %s share an apiserver key", h.Name, other)
		}
		keys[string(key.Data)] = h.Name
		if h.Name == "cp4" {
			continue
		}
		if d := differingPaths(r1.HostArtifacts(compilertest.Host(t, c1, h.Name)), r2.HostArtifacts(h)); len(d) > 0 {
			t.Errorf("%s: changed %v", h.Name, d)
		}
	}
}

// TestCorruptStore damages one store file at a time: each is an error naming the file, and
// the store given is left exactly as it was.
func TestCorruptStore(t *testing.T) {
	c := compilertest.Load(t, "ha.yaml")
	st, _ := issuedStore(t, c)
	other, _ := issuedStore(t, c)
	read := func(s *Store, rel string) []byte {
		f, ok := s.Files[rel]
		if !ok {
			t.Fatalf("no %s in the store", rel)
		}
		return f.Data
	}
	cases := []struct {
		name  string
		files map[string][]byte // nil content removes the file
		want  []string
	}{
		{"key of another pair", map[string][]byte{"hosts/w1/kubelet-serving.key": read(st, "hosts/w2/kubelet-serving.key")},
			[]string{"hosts/w1/kubelet-serving.key", "does not belong to"}},
		{"garbage certificate", map[string][]byte{"hosts/cp1/apiserver.crt": []byte("garbage\n")},
			[]string{"hosts/cp1/apiserver.crt", "no PEM"}},
		{"truncated key", map[string][]byte{"hosts/cp2/etcd/peer.key": read(st, "hosts/cp2/etcd/peer.key")[:40]},
			[]string{"hosts/cp2/etcd/peer.key"}},
		{"CA key of another pair", map[string][]byte{"ca.key": read(st, "front-proxy-ca.key")},
			[]string{filepath.Join("pki", "ca.key"), "does not belong to"}},
		{"leaves of another CA", map[string][]byte{"ca.crt": read(other, "ca.crt"), "ca.key": read(other, "ca.key")},
			[]string{"is not signed by its CA", filepath.Join("pki", "ca.crt")}},
		{"certificate without key", map[string][]byte{"hosts/w3/kubelet-client.key": nil},
			[]string{"hosts/w3/kubelet-client.crt has no key"}},
		{"CA key without certificate", map[string][]byte{"etcd/ca.crt": nil},
			[]string{"etcd/ca.key has no certificate"}},
		{"sa.pub of another key", map[string][]byte{"sa.pub": read(other, "sa.pub")},
			[]string{"sa.pub is not the public key of"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			damaged := withFiles(st, tc.files)
			before := contentOf(damaged)
			_, err := Issue(c, Options{Store: damaged, Now: at(t0)})
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if d := cmp.Diff(before, contentOf(damaged)); d != "" {
				t.Errorf("store changed:\n%s", d)
			}
		})
	}
}

func TestRenewBefore(t *testing.T) {
	c := compilertest.Load(t, "single-node.yaml")
	st, _ := issuedStore(t, c)
	expiry := t0.Add(c.PKI.CertValidity)

	r := issue(t, c, Options{Store: st, Now: at(expiry.Add(-31 * 24 * time.Hour))})
	if ch := changes(r); len(ch) != 0 {
		t.Fatalf("31 days before expiry: %v", ch)
	}
	r = issue(t, c, Options{Store: st, Now: at(expiry.Add(-29 * 24 * time.Hour))})
	n := 0
	for _, e := range r.Report() {
		switch {
		case e.Host == "" && e.Kind != Kept:
			t.Errorf("CA or sa changed: %+v", e)
		case e.Host != "" && (e.Kind != Reissued || !strings.Contains(e.Reason, "within renew-before 30d")):
			t.Errorf("%+v: want re-issued within renew-before", e)
		case e.Host != "":
			n++
		}
	}
	if n != 13 {
		t.Errorf("%d certificates re-issued, want 13", n)
	}
	// A shorter threshold keeps them.
	r = issue(t, c, Options{Store: st, Now: at(expiry.Add(-29 * 24 * time.Hour)), RenewBefore: 7 * 24 * time.Hour})
	if ch := changes(r); len(ch) != 0 {
		t.Fatalf("renew-before 7d: %v", ch)
	}
	if _, err := Issue(c, Options{Store: st, RenewBefore: c.PKI.CertValidity}); err == nil || !strings.Contains(err.Error(), "renew-before") {
		t.Errorf("renew-before as long as the validity: %v", err)
	}
}

func TestKeyAlgorithmChange(t *testing.T) {
	text := exampleText(t, "single-node.yaml")
	st, _ := issuedStore(t, compilertest.LoadYAML(t, text))
	c := compilertest.LoadYAML(t, text+"pki: {keyAlgorithm: ECDSA-P384}\n")
	r := issue(t, c, Options{Store: st})
	for _, e := range r.Report() {
		switch {
		case e.Name == "sa":
		case e.Host == "":
			if e.Kind != Kept || !strings.Contains(e.Reason, "never replaced") {
				t.Errorf("%+v: a CA must be kept, with a warning", e)
			}
		case e.Kind != Reissued || e.Reason != "key algorithm is ECDSA-P256, want ECDSA-P384":
			t.Errorf("%+v: want re-issued for the key algorithm", e)
		}
	}
	a, _ := lookup(r.HostArtifacts(c.Hosts[0]), compiler.APIServerCertPath)
	if alg := algorithmOf(certOf(t, a).PublicKey); alg != compiler.ECDSAP384 {
		t.Errorf("apiserver key is %s", alg)
	}
}

// TestExternalCA removes the cluster CA key from the store: with every certificate present
// the PKI is accepted (and no bundle carries the missing key); with one missing it is an
// error naming it.
func TestExternalCA(t *testing.T) {
	c := compilertest.Load(t, "ha.yaml")
	st, r1 := issuedStore(t, c)
	st = withFiles(st, map[string][]byte{"ca.key": nil})
	if r1.ExternalCA() {
		t.Error("a CA with its key reported external")
	}
	r := issue(t, c, Options{Store: st})
	if ch := changes(r); len(ch) != 0 {
		t.Fatalf("changes %v", ch)
	}
	if !r.ExternalCA() {
		t.Error("a CA without its key not reported external")
	}
	if e := r.Report()[0]; e.Name != "ca" || !strings.Contains(e.Reason, "external CA") {
		t.Errorf("CA event %+v", e)
	}
	for _, h := range c.Hosts {
		want := []string(nil)
		if h.Has(compiler.RoleControlPlane) {
			want = []string{compiler.CAKeyPath}
		}
		if d := differingPaths(r1.HostArtifacts(h), r.HostArtifacts(h)); !slices.Equal(d, want) {
			t.Errorf("%s: differs in %v, want %v", h.Name, d, want)
		}
	}

	st = withFiles(st, map[string][]byte{"hosts/w1/kubelet-client.crt": nil, "hosts/w1/kubelet-client.key": nil})
	_, err := Issue(c, Options{Store: st, Now: at(t0)})
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), filepath.Join("pki", "hosts/w1/kubelet-client.crt")+": missing") {
		t.Fatalf("error %v, want it to name the missing certificate", err)
	}
	// Certificates of the other CAs can still be issued.
	if strings.Contains(err.Error(), "front-proxy") {
		t.Errorf("error blames the front-proxy CA: %v", err)
	}
	// Expiring ones cannot be renewed either.
	_, err = Issue(c, Options{Store: st, Hosts: []*compiler.Host{compilertest.Host(t, c, "w2")}, Now: at(t0.Add(c.PKI.CertValidity - time.Hour))})
	if err == nil || !strings.Contains(err.Error(), "hosts/w2/kubelet-client.crt: expires") {
		t.Fatalf("error %v, want it to name the expiring certificate", err)
	}
}

// TestHostSubset issues for one host: the others' stored files survive the commit untouched
// even though their description changed.
func TestHostSubset(t *testing.T) {
	text := exampleText(t, "ha.yaml")
	st, _ := issuedStore(t, compilertest.LoadYAML(t, text))
	c := compilertest.LoadYAML(t, edit(t, text, "{name: w2, addresses: [192.168.10.22]", "{name: w2, addresses: [192.168.10.32]"))
	r := issue(t, c, Options{Store: st, Hosts: []*compiler.Host{compilertest.Host(t, c, "w1")}})
	for _, e := range r.Report() {
		if e.Host != "" && e.Host != "w1" {
			t.Errorf("event for an unselected host: %+v", e)
		}
	}
	if r.HostArtifacts(compilertest.Host(t, c, "w2")) != nil || r.HostArtifacts(compilertest.Host(t, c, "w1")) == nil {
		t.Error("HostArtifacts must cover exactly the selected hosts")
	}
	if d := cmp.Diff(contentOf(st), contentOf(r.Store())); d != "" {
		t.Errorf("store changed:\n%s", d)
	}
}

// TestNoStore issues without a store: everything is new.
func TestNoStore(t *testing.T) {
	c, r := issuedExample(t, "single-node.yaml")
	for _, e := range r.Report() {
		if e.Kind != Issued {
			t.Errorf("%+v", e)
		}
	}
	if len(r.HostArtifacts(c.Hosts[0])) == 0 {
		t.Error("no artifacts")
	}
	if !r.Changed() || len(r.Store().Files) == 0 {
		t.Error("a PKI issued without a store gives no store content")
	}
}

// TestCAExpiry: a CA close to its end is kept with a warning; an expired one is an error, not
// a silent new PKI.
func TestCAExpiry(t *testing.T) {
	c := compilertest.Load(t, "single-node.yaml")
	st, _ := issuedStore(t, c)
	end := t0.Add(c.PKI.CAValidity)
	r := issue(t, c, Options{Store: st, Now: at(end.Add(-10 * 24 * time.Hour))})
	if e := r.Report()[0]; e.Name != "ca" || e.Kind != Kept || !strings.Contains(e.Reason, "never replaced") {
		t.Errorf("CA event %+v, want kept with a warning", e)
	}
	_, err := Issue(c, Options{Store: st, Now: at(end.Add(time.Hour))})
	if err == nil || !strings.Contains(err.Error(), "ca.crt expired") {
		t.Errorf("expired CA: %v", err)
	}
}
