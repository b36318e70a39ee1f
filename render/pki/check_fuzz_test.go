package pki

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
)

// FuzzCheckPEM checks a host tree whose CA, certificate, key, pair file and kubeconfig are
// fuzz input. It must not panic; every row has a certificate or says why not; the table and
// JSON are written; and no line of the key files is ever printed (unless it is also in a file
// that is public anyway).
func FuzzCheckPEM(f *testing.F) {
	c, r := issuedExample(f, "ha.yaml")
	files := map[string][]byte{}
	for _, a := range r.HostArtifacts(c.Hosts[0]) {
		files[a.Path] = a.Data
	}
	ca, cert, key := files[compiler.CACertPath], files[compiler.APIServerCertPath], files[compiler.APIServerKeyPath]
	conf := files[compiler.AdminConfPath]
	f.Add(ca, cert, key, conf)
	f.Add(ca, files[compiler.FrontProxyClientCert], key, []byte("kind: Config\nusers:\n- name: u\n  user:\n    client-certificate: ../pki/apiserver.crt\n    client-key: /etc/kubernetes/pki/apiserver.key\n"))
	f.Add(cert, ca, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), []byte("kind: Config\nclusters:\n- cluster:\n    certificate-authority: /etc/passwd\n"))
	f.Add([]byte{}, []byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"), []byte{}, []byte("{"))
	f.Fuzz(func(t *testing.T, caPEM, certPEM, keyPEM, kubeconfig []byte) {
		set := fileSet{
			compiler.CACertPath:                                    {data: caPEM},
			compiler.APIServerCertPath:                             {data: certPEM},
			compiler.APIServerKeyPath:                              {data: keyPEM},
			compiler.AdminConfPath:                                 {data: kubeconfig},
			compiler.KubeletPKIDir + "/kubelet-client-current.pem": {data: append(append([]byte(nil), certPEM...), keyPEM...)},
			"/etc/kubernetes/other.kubeconfig":                     {data: kubeconfig},
		}
		st := checkFiles(set, treeLayout{host: "h"}, t0)
		for _, s := range st {
			if s.File == "" || (s.Subject == "" && s.NotAfter.IsZero() && len(s.Problems) == 0) {
				t.Fatalf("row without a certificate nor a problem: %+v", s)
			}
		}
		var table, js bytes.Buffer
		if err := WriteTable(&table, st); err != nil {
			t.Fatal(err)
		}
		if err := WriteJSON(&js, st); err != nil {
			t.Fatal(err)
		}
		var back []CertStatus
		if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back) != len(st) {
			t.Fatalf("JSON does not read back: %v", err)
		}
		public := string(caPEM) + string(certPEM) + string(kubeconfig)
		printed := table.String() + js.String()
		for _, l := range strings.Split(string(keyPEM), "\n") {
			l = strings.TrimSpace(l)
			if len(l) >= 16 && !strings.Contains(public, l) && strings.Contains(printed, l) {
				t.Fatalf("a line of the key is printed: %q\n%s", l, printed)
			}
		}
	})
}
