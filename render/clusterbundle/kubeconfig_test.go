package clusterbundle

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/kubeconfig"

	corev1 "k8s.io/api/core/v1"
)

// testCA returns a self-signed CA certificate in PEM.
func testCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubernetes"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(0, 0).Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// kubectlReads returns a kubeconfig as kubectl reads it, decoded into our type: a field kubectl
// does not know under our name is lost on the way, and the comparison fails.
func kubectlReads(t *testing.T, kubectl string, data []byte) *kubeconfig.Config {
	t.Helper()
	f := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(kubectl, "config", "view", "--raw", "-o", "json", "--kubeconfig", f).Output()
	if err != nil {
		t.Fatalf("kubectl config view: %v", err)
	}
	var kc kubeconfig.Config
	if err := json.Unmarshal(out, &kc); err != nil {
		t.Fatalf("kubectl's output: %v\n%s", err, out)
	}
	return &kc
}

func TestClusterInfo(t *testing.T) {
	c := compilertest.Load(t, "../../examples/ha.yaml")
	ca := testCA(t)
	a, err := ClusterInfo(c, ca)
	if err != nil {
		t.Fatal(err)
	}
	if a.Path != "/10-config/6-configmap-cluster-info.yaml" || a.Mode != 0o644 {
		t.Errorf("path %s mode %v", a.Path, a.Mode)
	}
	d := decodeBundle(t, append(render(t, c), a))
	cm := one(t, d, named[*corev1.ConfigMap]("cluster-info"))
	if cm.Namespace != "kube-public" {
		t.Errorf("cluster-info in %s, want kube-public (readable before authentication)", cm.Namespace)
	}
	kc, err := decodeKubeconfig([]byte(cm.Data["kubeconfig"]))
	if err != nil {
		t.Fatal(err)
	}
	if len(kc.Clusters) != 1 || kc.Clusters[0].Cluster.Server != "https://api.prod.example.com:6443" ||
		!bytes.Equal(kc.Clusters[0].Cluster.CertificateAuthorityData, ca) {
		t.Errorf("cluster-info kubeconfig: %+v", kc.Clusters)
	}
	if len(kc.Users) != 0 || len(kc.Contexts) != 0 {
		t.Error("cluster-info names users or contexts: it is read anonymously and must hold no credential")
	}
	if _, err := ClusterInfo(c, []byte("not a certificate")); err == nil {
		t.Error("ClusterInfo accepted a CA that is not PEM")
	}
	t.Run("kubectl", func(t *testing.T) {
		got := kubectlReads(t, filepath.Join(binDir(t), "kubectl"), []byte(cm.Data["kubeconfig"]))
		if !reflect.DeepEqual(got.Clusters, kc.Clusters) {
			t.Errorf("kubectl reads clusters %+v, we wrote %+v", got.Clusters, kc.Clusters)
		}
	})
}

// kube-proxy's kubeconfig is read by client-go in the pod: kubectl, built on the same loader,
// must read back every field we wrote.
func TestKubeProxyKubeconfigReadByKubectl(t *testing.T) {
	kubectl := filepath.Join(binDir(t), "kubectl")
	c := compilertest.Load(t, "../../examples/dual-stack.yaml")
	cm := one(t, decodeBundle(t, render(t, c)), named[*corev1.ConfigMap]("kube-proxy"))
	data := []byte(cm.Data["kubeconfig.conf"])
	ours, err := decodeKubeconfig(data)
	if err != nil {
		t.Fatal(err)
	}
	got := kubectlReads(t, kubectl, data)
	if !reflect.DeepEqual(got, ours) {
		t.Errorf("kubectl reads %+v\nwe wrote %+v", got, ours)
	}
	if ours.Clusters[0].Cluster.Server != "https://[fd00:10::10]:6443" {
		t.Errorf("server %q", ours.Clusters[0].Cluster.Server)
	}
}
