//go:build e2e

package e2e

import (
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
)

// nodeObject returns a Node as a kubelet registers it, as YAML.
func nodeObject(t *testing.T, name string) []byte {
	t.Helper()
	n := corev1.Node{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
		}},
	}
	data, err := yaml.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// checkNodeIdentity proves point 6: a worker's kubelet.conf is that node, which may create its
// own Node and no other (NodeRestriction), and the controller-manager gives it a pod CIDR.
func (s *suite) checkNodeIdentity(t *testing.T) {
	ws := s.workers()
	if len(ws) < 2 {
		t.Fatalf("need two workers, %s has %d", description, len(ws))
	}
	w1, w2 := ws[0], ws[1]
	superAdmin := s.superAdminConf(t)
	kubeconfig := compiler.KubeletConfPath

	out, _, err := s.kubectlOnHost(w1, kubeconfig, nil, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}")
	if err != nil {
		t.Fatalf("%s: whoami with %s: %v", w1.name, kubeconfig, err)
	}
	if !strings.HasPrefix(out, "system:node:"+w1.nodeName+" ") || !strings.Contains(out, "system:nodes") {
		t.Errorf("%s kubelet.conf is %q, want system:node:%s in system:nodes", w1.name, out, w1.nodeName)
	}
	t.Logf("%s$ kubectl --kubeconfig %s auth whoami: %s", w1.name, kubeconfig, out)

	out, _, err = s.kubectlOnHost(w1, kubeconfig, nodeObject(t, w1.nodeName), "create", "-f", "-")
	if err != nil {
		t.Errorf("%s creating its own Node: %v", w1.name, err)
	} else {
		t.Logf("%s$ kubectl create -f node-%s.yaml: %s", w1.name, w1.nodeName, strings.TrimSpace(out))
	}

	// Another node's object, before it exists (so only NodeRestriction can stop it) ...
	_, stderr, err := s.kubectlOnHost(w1, kubeconfig, nodeObject(t, w2.nodeName), "create", "-f", "-")
	if err == nil {
		t.Errorf("%s created Node %s", w1.name, w2.nodeName)
	} else if !strings.Contains(strings.ToLower(stderr), "forbidden") {
		t.Errorf("%s creating Node %s failed, but not as forbidden: %s", w1.name, w2.nodeName, stderr)
	} else {
		t.Logf("%s$ kubectl create -f node-%s.yaml: %s", w1.name, w2.nodeName, strings.TrimSpace(stderr))
	}
	// ... and once it exists.
	if _, _, err := s.kubectl(superAdmin, nil, "get", "node", w2.nodeName); err != nil {
		if _, _, err := s.kubectl(superAdmin, nodeObject(t, w2.nodeName), "create", "-f", "-"); err != nil {
			t.Fatalf("creating Node %s with super-admin.conf: %v", w2.nodeName, err)
		}
	}
	// kubectl patch reads the object first, which the Node authorizer already refuses; a bare
	// PATCH is authorized for nodes, so only NodeRestriction can refuse it.
	status, body, err := s.patchAsNode(w1, kubeconfig, "/api/v1/nodes/"+w2.nodeName, `{"metadata":{"labels":{"kubeforge.dev/e2e":"patched"}}}`)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusForbidden || !strings.Contains(body, "not allowed to modify node") {
		t.Errorf("%s PATCH of Node %s: %d %s; want 403 from NodeRestriction", w1.name, w2.nodeName, status, body)
	} else {
		t.Logf("%s: PATCH /api/v1/nodes/%s with kubelet.conf's credentials: %d %s", w1.name, w2.nodeName, status, strings.TrimSpace(body))
	}

	// Node IPAM: the controller-manager allocates w1 a CIDR of the node mask from the pod subnet.
	var cidr string
	err = waitFor(s.ctx, "spec.podCIDR of node "+w1.nodeName, 2*time.Minute, nil, func() error {
		out, _, err := s.kubectl(superAdmin, nil, "get", "node", w1.nodeName, "-o", "jsonpath={.spec.podCIDR}")
		if err != nil {
			return err
		}
		if cidr = strings.TrimSpace(out); cidr == "" {
			return errNotYet
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		t.Fatalf("node %s podCIDR %q: %v", w1.nodeName, cidr, err)
	}
	subnet := s.cluster.Network.PodSubnets[0]
	if !subnet.Contains(p.Addr()) || p.Bits() != s.cluster.Network.NodeMaskIPv4 {
		t.Errorf("node %s podCIDR %s, want a /%d of %s", w1.nodeName, p, s.cluster.Network.NodeMaskIPv4, subnet)
	}
	t.Logf("$ kubectl get node %s -o jsonpath={.spec.podCIDR}: %s (pod subnet %s)", w1.nodeName, p, subnet)
}

// patchAsNode sends a JSON merge patch to path with the credentials of a kubeconfig of h and
// returns the response's status code and body.
func (s *suite) patchAsNode(h *simHost, kubeconfigPath, path, patch string) (int, string, error) {
	client, server, err := kubeconfigClient(h, kubeconfigPath)
	if err != nil {
		return 0, "", err
	}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPatch, server+path, strings.NewReader(patch))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/merge-patch+json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 8192))
	return resp.StatusCode, string(body), nil
}

// checkKubeletServingCerts proves point 8: every host's kubelet serving certificate verifies
// against the cluster CA on that host for the node's address, and matches its key.
func (s *suite) checkKubeletServingCerts(t *testing.T) {
	for _, h := range s.hosts {
		cert := h.path(compiler.KubeletServingCert)
		out, err := s.verifyCert(h.path(compiler.CACertPath), cert, "sslserver", h.addr.String())
		if err != nil {
			t.Errorf("%s %s: %v: %s", h.name, compiler.KubeletServingCert, err, out)
			continue
		}
		t.Logf("%s$ openssl verify -x509_strict -purpose sslserver -verify_ip %s -CAfile ca.crt kubelet.crt: %s", h.name, h.addr, out)
		s.checkKeyMatches(t, h.path(compiler.KubeletServingKey), cert)
	}
}

// checkKeyMatches fails the test unless the private key and the certificate hold the same
// public key (compared with openssl).
func (s *suite) checkKeyMatches(t *testing.T, key, cert string) {
	t.Helper()
	s.checkSamePublicKey(t, key, cert, []string{"pkey", "-in", key, "-pubout"}, []string{"x509", "-in", cert, "-noout", "-pubkey"})
}

// checkPublicKeyMatches fails the test unless a public key file belongs to the private key.
func (s *suite) checkPublicKeyMatches(t *testing.T, key, pub string) {
	t.Helper()
	s.checkSamePublicKey(t, key, pub, []string{"pkey", "-in", key, "-pubout"}, []string{"pkey", "-pubin", "-in", pub, "-pubout"})
}

// checkSamePublicKey fails the test unless two openssl commands print the same public key.
func (s *suite) checkSamePublicKey(t *testing.T, a, b string, argsA, argsB []string) {
	t.Helper()
	fromA, err := s.openssl(argsA...)
	if err != nil {
		t.Errorf("%s: %v: %s", a, err, fromA)
		return
	}
	fromB, err := s.openssl(argsB...)
	if err != nil {
		t.Errorf("%s: %v: %s", b, err, fromB)
		return
	}
	if fromA != fromB {
		t.Errorf("%s does not belong to %s", a, b)
	}
}
