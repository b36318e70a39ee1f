//go:build e2e

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	certsv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
)

// clusterBundleDir is the cluster-level bundle in a compile output.
const clusterBundleDir = "cluster"

// checkClusterBundle proves issue 8 on the running cluster: the cluster bundle applies with
// super-admin.conf and passes server-side validation; admin.conf then has its rights; the
// CoreDNS Service has the DNS IP every kubelet is given; a node's client certificate renewal
// is approved and signed by the controller-manager.
func (s *suite) checkClusterBundle(t *testing.T) {
	s.applyClusterBundle(t)
	t.Run("admin.conf has cluster-admin", func(t *testing.T) { s.checkAdminRights(t) })
	t.Run("CoreDNS service IP is every kubelet's clusterDNS", func(t *testing.T) { s.checkClusterDNS(t) })
	t.Run("node client certificate renewal approved and signed", func(t *testing.T) { s.checkNodeClientCSR(t) })
}

// applyClusterBundle applies the cluster bundle as the README tells an operator, with
// super-admin.conf, after a server-side dry run with strict validation of every object.
func (s *suite) applyClusterBundle(t *testing.T) {
	t.Helper()
	dir := filepath.Join(s.out, clusterBundleDir)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("compile output has no cluster bundle at %s", dir)
	}
	superAdmin := s.superAdminConf(t)

	// Every object passes the server's validation and admission before anything is stored.
	out, _, err := s.kubectl(superAdmin, nil, "apply", "--dry-run=server", "--validate=strict", "-f", dir, "--recursive")
	if err != nil {
		t.Errorf("server-side dry run of the cluster bundle: %v", err)
	} else {
		t.Logf("$ kubectl apply --dry-run=server --validate=strict -f OUT/cluster/ --recursive\n%s", strings.TrimSpace(out))
	}
	// What the operator runs.
	out, _, err = s.kubectl(superAdmin, nil, "apply", "-f", dir, "--recursive")
	if err != nil {
		t.Fatalf("applying the cluster bundle: %v", err)
	}
	t.Logf("$ kubectl --kubeconfig super-admin.conf apply -f OUT/cluster/ --recursive\n%s", strings.TrimSpace(out))
	if out, _, err := s.kubectl(superAdmin, nil, "get", "-f", dir, "--recursive", "-o", "name"); err != nil {
		t.Errorf("not every object of the bundle exists after apply: %v", err)
	} else {
		t.Logf("%d objects stored", len(strings.Fields(out)))
	}
}

// checkAdminRights: admin.conf, powerless before the bundle's binding, lists nodes and
// creates a namespace.
func (s *suite) checkAdminRights(t *testing.T) {
	admin := s.controlPlanes()[0].path(compiler.AdminConfPath)
	out, _, err := s.kubectl(admin, nil, "get", "nodes", "-o", "name")
	if err != nil {
		t.Errorf("admin.conf get nodes: %v", err)
	} else {
		t.Logf("$ kubectl --kubeconfig admin.conf get nodes -o name\n%s", strings.TrimSpace(out))
	}
	ns := "kubeforge-e2e-admin"
	out, _, err = s.kubectl(admin, nil, "create", "namespace", ns)
	if err != nil {
		t.Errorf("admin.conf create namespace: %v", err)
	} else {
		t.Logf("$ kubectl --kubeconfig admin.conf create namespace %s: %s", ns, strings.TrimSpace(out))
	}
}

// kubeletConfigDecoder decodes KubeletConfiguration strictly with the official scheme.
var kubeletConfigDecoder = func() runtime.Decoder {
	scheme := runtime.NewScheme()
	if err := kubeletv1beta1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}()

// checkClusterDNS: the CoreDNS Service's ClusterIP is exactly the clusterDNS of every host's
// kubelet configuration.
func (s *suite) checkClusterDNS(t *testing.T) {
	superAdmin := s.superAdminConf(t)
	out, _, err := s.kubectl(superAdmin, nil, "get", "service", "-n", "kube-system", "-l", "k8s-app=kube-dns", "-o", "jsonpath={range .items[*]}{.metadata.name} {.spec.clusterIPs}{\"\\n\"}{end}")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 || lines[0] == "" {
		t.Fatalf("want one CoreDNS Service (k8s-app=kube-dns) in kube-system, have %q", out)
	}
	name, ipsJSON, _ := strings.Cut(lines[0], " ")
	var ips []string
	decodeJSON(t, ipsJSON, &ips)
	t.Logf("$ kubectl get service -n kube-system %s: clusterIPs %v", name, ips)
	for _, h := range s.hosts {
		data, err := os.ReadFile(h.path(compiler.KubeletConfigPath))
		if err != nil {
			t.Fatal(err)
		}
		obj, _, err := kubeletConfigDecoder.Decode(data, nil, nil)
		if err != nil {
			t.Fatalf("%s %s: %v", h.name, compiler.KubeletConfigPath, err)
		}
		kc := obj.(*kubeletv1beta1.KubeletConfiguration)
		if !slices.Equal(kc.ClusterDNS, ips) {
			t.Errorf("%s kubelet clusterDNS %v, CoreDNS Service %v", h.name, kc.ClusterDNS, ips)
		}
	}
}

// checkNodeClientCSR: with w1's kubelet.conf, a client CSR as the kubelet sends to rotate
// its certificate is approved and signed by the controller-manager, and the new certificate
// authenticates as the node.
func (s *suite) checkNodeClientCSR(t *testing.T) {
	w1 := s.workers()[0]
	superAdmin := s.superAdminConf(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	subject := pkix.Name{CommonName: "system:node:" + w1.nodeName, Organization: []string{"system:nodes"}}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: subject}, key)
	if err != nil {
		t.Fatal(err)
	}
	name := "kubeforge-e2e-node-client-" + w1.nodeName
	csr := certsv1.CertificateSigningRequest{
		TypeMeta:   metav1.TypeMeta{APIVersion: "certificates.k8s.io/v1", Kind: "CertificateSigningRequest"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: certsv1.CertificateSigningRequestSpec{
			Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName: certsv1.KubeAPIServerClientKubeletSignerName,
			Usages:     []certsv1.KeyUsage{certsv1.UsageDigitalSignature, certsv1.UsageClientAuth},
		},
	}
	manifest, err := yaml.Marshal(csr)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := s.kubectlOnHost(w1, compiler.KubeletConfPath, manifest, "create", "-f", "-")
	if err != nil {
		t.Fatalf("%s creating its CSR: %v", w1.name, err)
	}
	t.Logf("%s$ kubectl --kubeconfig %s create -f csr.yaml: %s", w1.name, compiler.KubeletConfPath, strings.TrimSpace(out))

	var got certsv1.CertificateSigningRequest
	err = waitFor(s.ctx, "CSR "+name+" approved and signed", 2*time.Minute, nil, func() error {
		out, _, err := s.kubectl(superAdmin, nil, "get", "csr", name, "-o", "json")
		if err != nil {
			return err
		}
		got = certsv1.CertificateSigningRequest{}
		decodeJSON(t, out, &got)
		if len(got.Status.Certificate) == 0 {
			return errNotYet
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range got.Status.Conditions {
		t.Logf("CSR %s condition %s=%s by %s: %s", name, c.Type, c.Status, c.Reason, c.Message)
	}
	if !slices.ContainsFunc(got.Status.Conditions, func(c certsv1.CertificateSigningRequestCondition) bool {
		return c.Type == certsv1.CertificateApproved && c.Status == "True"
	}) {
		t.Errorf("CSR %s signed without an Approved condition: %+v", name, got.Status.Conditions)
	}

	certFile := filepath.Join(s.run, "w1-client-rotated.crt")
	keyFile := filepath.Join(s.run, "w1-client-rotated.key")
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, got.Status.Certificate, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := w1.path(compiler.CACertPath)
	if out, err := s.verifyCert(ca, certFile, "sslclient"); err != nil {
		t.Errorf("signed certificate: %v: %s", err, out)
	} else {
		t.Logf("$ openssl verify -x509_strict -purpose sslclient -CAfile ca.crt rotated.crt: %s", out)
	}
	s.checkKeyMatches(t, keyFile, certFile)
	if cn := certCommonName(t, certFile); cn != subject.CommonName {
		t.Errorf("signed certificate CN %q, want %q", cn, subject.CommonName)
	}
	u := s.whoami(t, s.emptyKubeconfig(t), "--server="+s.cluster.Endpoint.URL(), "--certificate-authority="+ca,
		"--client-certificate="+certFile, "--client-key="+keyFile)
	if u.Username != subject.CommonName || !slices.Contains(u.Groups, "system:nodes") {
		t.Errorf("the signed certificate authenticates as %s %v", u.Username, u.Groups)
	}
	t.Logf("$ kubectl auth whoami --client-certificate=rotated.crt: %s %v", u.Username, u.Groups)
}
