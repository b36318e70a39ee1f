package pki

import (
	"crypto/x509"
	"slices"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/kubeconfig"

	"github.com/google/go-cmp/cmp"

	"kubeforge.dev/kubeforge/compiler"
)

// want is what one certificate of a bundle must say, written out by hand from kubeadm's
// certlist.go, pki_helpers.go and kubeconfig.go for the same input.
type want struct {
	CN     string
	O      []string
	Issuer string
	CA     bool
	EKU    []x509.ExtKeyUsage
	DNS    []string
	IPs    []string
	// Server is a kubeconfig's server URL.
	Server string
}

var (
	srv     = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	cli     = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	srvCli  = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	caCert  = want{CN: "kubernetes", Issuer: "kubernetes", CA: true, DNS: []string{"kubernetes"}}
	fpCA    = want{CN: "front-proxy-ca", Issuer: "front-proxy-ca", CA: true, DNS: []string{"front-proxy-ca"}}
	etcdCAw = want{CN: "etcd-ca", Issuer: "etcd-ca", CA: true, DNS: []string{"etcd-ca"}}
)

// controlPlaneFiles returns the files every control-plane host holds besides the apiserver
// certificate and the etcd member files.
func controlPlaneFiles(node, endpointURL, localURL string) map[string]want {
	return map[string]want{
		compiler.CACertPath:                 caCert,
		compiler.FrontProxyCACertPath:       fpCA,
		compiler.EtcdCACertPath:             etcdCAw,
		compiler.APIServerKubeletClientCert: {CN: "kube-apiserver-kubelet-client", Issuer: "kubernetes", EKU: cli},
		compiler.FrontProxyClientCert:       {CN: "front-proxy-client", Issuer: "front-proxy-ca", EKU: cli},
		compiler.APIServerEtcdClientCert:    {CN: "kube-apiserver-etcd-client", Issuer: "etcd-ca", EKU: cli},
		compiler.AdminConfPath:              {CN: "kubernetes-admin", O: []string{"kubeadm:cluster-admins"}, Issuer: "kubernetes", EKU: cli, Server: endpointURL},
		compiler.SuperAdminConfPath:         {CN: "kubernetes-super-admin", O: []string{"system:masters"}, Issuer: "kubernetes", EKU: cli, Server: endpointURL},
		compiler.ControllerManagerConfPath:  {CN: "system:kube-controller-manager", Issuer: "kubernetes", EKU: cli, Server: localURL},
		compiler.SchedulerConfPath:          {CN: "system:kube-scheduler", Issuer: "kubernetes", EKU: cli, Server: localURL},
		// kubeadm points a control-plane host's kubelet at its own apiserver.
		compiler.KubeletConfPath: {CN: "system:node:" + node, O: []string{"system:nodes"}, Issuer: "kubernetes", EKU: cli, Server: localURL},
	}
}

func etcdMemberFiles(node string, ips ...string) map[string]want {
	sans := append(ips, "127.0.0.1", "::1")
	return map[string]want{
		compiler.EtcdCACertPath:            etcdCAw,
		compiler.EtcdServerCert:            {CN: node, Issuer: "etcd-ca", EKU: srvCli, DNS: []string{node, "localhost"}, IPs: sans},
		compiler.EtcdPeerCert:              {CN: node, Issuer: "etcd-ca", EKU: srvCli, DNS: []string{node, "localhost"}, IPs: sans},
		compiler.EtcdHealthcheckClientCert: {CN: "kube-etcd-healthcheck-client", Issuer: "etcd-ca", EKU: cli},
	}
}

func kubeletFiles(node, serverURL string, ips ...string) map[string]want {
	return map[string]want{
		compiler.CACertPath:         caCert,
		compiler.KubeletConfPath:    {CN: "system:node:" + node, O: []string{"system:nodes"}, Issuer: "kubernetes", EKU: cli, Server: serverURL},
		compiler.KubeletServingCert: {CN: "system:node:" + node, O: []string{"system:nodes"}, Issuer: "kubernetes", EKU: srv, DNS: []string{node}, IPs: ips},
	}
}

func merge(ms ...map[string]want) map[string]want {
	out := map[string]want{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// expectedBundles lists, per example and host, every certificate the host's bundle holds.
var expectedBundles = map[string]map[string]map[string]want{
	"ha.yaml": {
		"cp2": merge(
			controlPlaneFiles("cp2", "https://api.prod.example.com:6443", "https://192.168.10.12:6443"),
			etcdMemberFiles("cp2", "192.168.10.12"),
			kubeletFiles("cp2", "https://192.168.10.12:6443", "192.168.10.12"),
			map[string]want{compiler.APIServerCertPath: {CN: "kube-apiserver", Issuer: "kubernetes", EKU: srv,
				DNS: []string{"api.prod.example.com", "cp2", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
				IPs: []string{"10.96.0.1", "192.168.10.12"}}},
		),
		"w3": kubeletFiles("w3", "https://api.prod.example.com:6443", "192.168.10.23"),
	},
	"dedicated-etcd.yaml": {
		"etcd2": merge(
			etcdMemberFiles("etcd2", "192.168.20.32"),
			kubeletFiles("etcd2", "", "192.168.20.32"),
		),
		"cp1": merge(
			controlPlaneFiles("cp1", "https://192.168.20.10:6443", "https://192.168.20.11:6443"),
			kubeletFiles("cp1", "https://192.168.20.11:6443", "192.168.20.11"),
			map[string]want{compiler.APIServerCertPath: {CN: "kube-apiserver", Issuer: "kubernetes", EKU: srv,
				DNS: []string{"api.edge.example.com", "cp1", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.edge.local"},
				IPs: []string{"10.33.0.1", "192.168.20.11", "192.168.20.10"}}},
		),
		"node2": kubeletFiles("node2", "https://192.168.20.10:6443", "192.168.20.42"),
	},
	"dual-stack.yaml": {
		"cp1": merge(
			controlPlaneFiles("cp1", "https://[fd00:10::10]:6443", "https://10.10.0.11:6443"),
			etcdMemberFiles("cp1", "10.10.0.11", "fd00:10::11"),
			kubeletFiles("cp1", "https://10.10.0.11:6443", "10.10.0.11", "fd00:10::11"),
			map[string]want{compiler.APIServerCertPath: {CN: "kube-apiserver", Issuer: "kubernetes", EKU: srv,
				DNS: []string{"cp1", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
				IPs: []string{"10.96.0.1", "fd00:96::1", "10.10.0.11", "fd00:10::11", "fd00:10::10"}}},
		),
		"w2": kubeletFiles("w2", "https://[fd00:10::10]:6443", "10.10.0.22", "fd00:10::22"),
	},
	"single-node.yaml": {
		"lab1": merge(
			controlPlaneFiles("lab1", "https://192.168.50.10:6443", "https://192.168.50.10:6443"),
			etcdMemberFiles("lab1", "192.168.50.10"),
			kubeletFiles("lab1", "https://192.168.50.10:6443", "192.168.50.10"),
			map[string]want{compiler.APIServerCertPath: {CN: "kube-apiserver", Issuer: "kubernetes", EKU: srv,
				DNS: []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "lab1"},
				IPs: []string{"10.96.0.1", "192.168.50.10"}}},
		),
	},
}

func init() {
	// A dedicated etcd host's kubelet runs standalone: it has a serving certificate but no
	// kubelet.conf.
	delete(expectedBundles["dedicated-etcd.yaml"]["etcd2"], compiler.KubeletConfPath)
	// super-admin.conf is on the first control-plane host only.
	delete(expectedBundles["ha.yaml"]["cp2"], compiler.SuperAdminConfPath)
}

// TestExpectedCertificates checks every certificate of the listed hosts' bundles against the
// hand-written table: no file missing, none in excess, and subject, issuer, usages, SANs,
// validity, key algorithm and kubeconfig server as kubeadm would make them.
func TestExpectedCertificates(t *testing.T) {
	for _, ex := range examples {
		t.Run(ex, func(t *testing.T) {
			c, r := issuedExample(t, ex)
			for hostName, files := range expectedBundles[ex] {
				arts := r.HostArtifacts(compilertest.Host(t, c, hostName))
				var got []string
				for _, a := range arts {
					if isCertArtifact(a) {
						got = append(got, a.Path)
					}
				}
				var wantPaths []string
				for p := range files {
					wantPaths = append(wantPaths, p)
				}
				if d := cmp.Diff(sortedCopy(wantPaths), sortedCopy(got)); d != "" {
					t.Errorf("%s: certificate files (-want +got):\n%s", hostName, d)
				}
				for _, a := range arts {
					w, ok := files[a.Path]
					if !ok {
						continue
					}
					checkCert(t, c, hostName+":"+a.Path, certOf(t, a), w)
					if w.Server != "" {
						k, _ := kubeconfig.Parse(a.Data)
						if k.Clusters[0].Cluster.Server != w.Server {
							t.Errorf("%s:%s: server %s, want %s", hostName, a.Path, k.Clusters[0].Cluster.Server, w.Server)
						}
					}
				}
			}
		})
	}
}

func checkCert(t *testing.T, c *compiler.Cluster, where string, cert *x509.Certificate, w want) {
	t.Helper()
	var ips []string
	for _, ip := range cert.IPAddresses {
		ips = append(ips, ip.String())
	}
	got := want{
		CN: cert.Subject.CommonName, O: cert.Subject.Organization, Issuer: cert.Issuer.CommonName, CA: cert.IsCA,
		EKU: cert.ExtKeyUsage, DNS: sortedCopy(cert.DNSNames), IPs: sortedCopy(ips), Server: w.Server,
	}
	w.DNS, w.IPs = sortedCopy(w.DNS), sortedCopy(w.IPs)
	if d := cmp.Diff(w, got); d != "" {
		t.Errorf("%s (-want +got):\n%s", where, d)
	}
	validity, ku := c.PKI.CertValidity, x509.KeyUsageDigitalSignature
	if cert.IsCA {
		validity, ku = c.PKI.CAValidity, ku|x509.KeyUsageCertSign
	}
	if c.PKI.KeyAlgorithm != compiler.ECDSAP256 && c.PKI.KeyAlgorithm != compiler.ECDSAP384 {
		ku |= x509.KeyUsageKeyEncipherment
	}
	if cert.KeyUsage != ku {
		t.Errorf("%s: key usage %b, want %b", where, cert.KeyUsage, ku)
	}
	if !cert.NotBefore.Equal(t0.Add(-5*time.Minute)) || !cert.NotAfter.Equal(t0.Add(validity)) {
		t.Errorf("%s: valid %s to %s, want %s to %s", where, cert.NotBefore, cert.NotAfter, t0.Add(-5*time.Minute), t0.Add(validity))
	}
	if alg := algorithmOf(cert.PublicKey); alg != c.PKI.KeyAlgorithm {
		t.Errorf("%s: key algorithm %s, want %s", where, alg, c.PKI.KeyAlgorithm)
	}
	if !cert.BasicConstraintsValid {
		t.Errorf("%s: no basic constraints", where)
	}
}

// TestExamplesKeyAlgorithms makes sure the table test covers both key families.
func TestExamplesKeyAlgorithms(t *testing.T) {
	var algs []compiler.KeyAlgorithm
	for _, ex := range examples {
		algs = append(algs, compilertest.Load(t, ex).PKI.KeyAlgorithm)
	}
	if !slices.Contains(algs, compiler.RSA2048) || !slices.Contains(algs, compiler.ECDSAP256) {
		t.Fatalf("examples use %v; the tests need RSA-2048 and ECDSA-P256", algs)
	}
}

// TestNodeName: a host whose node is named otherwise gets certificates for its node name
// (the identity the Node authorizer checks), still valid for its host name.
func TestNodeName(t *testing.T) {
	c := compilertest.LoadYAML(t, `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: names
hosts:
  - {name: srv-1.example.com, nodeName: cp-a, addresses: [10.0.0.1], roles: [control-plane]}
  - {name: srv-2.example.com, nodeName: node-b, addresses: [10.0.0.2], roles: [worker]}
`)
	r := issue(t, c, Options{})
	for path, w := range map[string]want{
		"srv-1.example.com:" + compiler.EtcdServerCert: {CN: "cp-a", Issuer: "etcd-ca", EKU: srvCli,
			DNS: []string{"cp-a", "localhost", "srv-1.example.com"}, IPs: []string{"10.0.0.1", "127.0.0.1", "::1"}},
		"srv-1.example.com:" + compiler.APIServerCertPath: {CN: "kube-apiserver", Issuer: "kubernetes", EKU: srv,
			DNS: []string{"cp-a", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "srv-1.example.com"},
			IPs: []string{"10.96.0.1", "10.0.0.1"}},
		"srv-2.example.com:" + compiler.KubeletConfPath: {CN: "system:node:node-b", O: []string{"system:nodes"}, Issuer: "kubernetes", EKU: cli,
			Server: "https://10.0.0.1:6443"},
		"srv-2.example.com:" + compiler.KubeletServingCert: {CN: "system:node:node-b", O: []string{"system:nodes"}, Issuer: "kubernetes", EKU: srv,
			DNS: []string{"node-b", "srv-2.example.com"}, IPs: []string{"10.0.0.2"}},
	} {
		hostName, file, _ := strings.Cut(path, ":")
		a, ok := lookup(r.HostArtifacts(compilertest.Host(t, c, hostName)), file)
		if !ok {
			t.Errorf("%s missing", path)
			continue
		}
		checkCert(t, c, path, certOf(t, a), w)
	}
}
