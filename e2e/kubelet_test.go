//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"

	"kubeforge.dev/kubeforge/compiler"
)

// checkKubeletNode proves that n's kubelet, run from its bundle, registers its node with
// the address and version the bundle gives it, answers its health check where config.yaml
// puts it, serves the bundle's certificate, and is reached by the apiserver through it.
func (s *suite) checkKubeletNode(t *testing.T, n *node) {
	h, kc, p := n.host, n.kc, n.kubelet
	superAdmin := s.superAdminConf(t)
	var registered corev1.Node
	err := waitFor(s.ctx, "node "+h.nodeName+" registered by its kubelet", 2*time.Minute, []*process{p}, func() error {
		out, _, err := s.kubectl(superAdmin, nil, "get", "node", h.nodeName, "-o", "json")
		if err != nil {
			return err
		}
		registered = corev1.Node{}
		decodeJSON(t, out, &registered)
		if registered.Status.NodeInfo.KubeletVersion == "" {
			return errNotYet
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, a := range registered.Status.Addresses {
		addrs = append(addrs, string(a.Type)+"="+a.Address)
	}
	t.Logf("$ kubectl get node %s: kubelet %s, runtime %s, addresses %v", h.nodeName, registered.Status.NodeInfo.KubeletVersion, registered.Status.NodeInfo.ContainerRuntimeVersion, addrs)
	if !slices.Contains(addrs, "InternalIP="+h.addr.String()) {
		t.Errorf("node %s addresses %v, want InternalIP %s", h.nodeName, addrs, h.addr)
	}
	if want := s.cluster.Version.String(); registered.Status.NodeInfo.KubeletVersion != want {
		t.Errorf("kubelet reports %s, cluster version %s", registered.Status.NodeInfo.KubeletVersion, want)
	}

	// Its own health endpoint, where config.yaml puts it.
	healthz := fmt.Sprintf("http://%s/healthz", net.JoinHostPort(orDefault(kc.HealthzBindAddress, "127.0.0.1"), strconv.Itoa(int(ptrOr(kc.HealthzPort, int32(compiler.PortKubeletHealthz))))))
	var answer string
	err = waitFor(s.ctx, "kubelet healthz", time.Minute, []*process{p}, func() error {
		var err error
		answer, err = getFromHost(h, healthz)
		return err
	})
	if err != nil {
		t.Error(err)
	} else {
		t.Logf("%s: %s", h.name, answer)
	}

	// It serves the bundle's certificate, which verifies for the node's address.
	port := int(kc.Port)
	if port == 0 {
		port = compiler.PortKubelet
	}
	served, err := s.servedCert(net.JoinHostPort(h.addr.String(), strconv.Itoa(port)), "kubelet-"+h.name)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := s.verifyCert(h.path(compiler.CACertPath), served, "sslserver", h.addr.String()); err != nil {
		t.Errorf("certificate served by %s's kubelet: %v: %s", h.name, err, out)
	} else {
		t.Logf("$ openssl verify -purpose sslserver -verify_ip %s (certificate served on :%d): %s", h.addr, port, out)
	}
	if !samePEMCert(t, served, h.path(compiler.KubeletServingCert)) {
		t.Errorf("%s's kubelet serves another certificate than %s", h.name, compiler.KubeletServingCert)
	}

	// The apiserver reaches it with apiserver-kubelet-client.crt; the kubelet authenticates that
	// with its clientCAFile and authorizes it through the API (webhook).
	for _, path := range []string{"healthz", "configz"} {
		out, _, err := s.kubectl(superAdmin, nil, "get", "--raw", "/api/v1/nodes/"+h.nodeName+"/proxy/"+path)
		if err != nil {
			t.Errorf("apiserver -> kubelet %s: %v", path, err)
			continue
		}
		if path == "configz" {
			for _, want := range []string{`"cgroupDriver":"cgroupfs"`, `"clusterDNS":["` + strings.Join(kc.ClusterDNS, `","`) + `"]`} {
				if !strings.Contains(out, want) {
					t.Errorf("kubelet configz lacks %s", want)
				}
			}
			out = fmt.Sprintf("%d bytes, running with the bundle's config.yaml", len(out))
		}
		t.Logf("$ kubectl get --raw /api/v1/nodes/%s/proxy/%s: %s", h.nodeName, path, strings.TrimSpace(out))
	}
}

// kubeletConfig returns h's /var/lib/kubelet/config.yaml, decoded strictly.
func (s *suite) kubeletConfig(t *testing.T, h *simHost) *kubeletv1beta1.KubeletConfiguration {
	t.Helper()
	data, err := os.ReadFile(h.path(compiler.KubeletConfigPath))
	if err != nil {
		t.Fatal(err)
	}
	obj, _, err := kubeletConfigDecoder.Decode(data, nil, nil)
	if err != nil {
		t.Fatalf("%s %s: %v", h.name, compiler.KubeletConfigPath, err)
	}
	return obj.(*kubeletv1beta1.KubeletConfiguration)
}

// samePEMCert reports whether two PEM files hold the same certificate bytes.
func samePEMCert(t *testing.T, a, b string) bool {
	t.Helper()
	da, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(bytes.TrimSpace(da), bytes.TrimSpace(firstPEM(db)))
}

// firstPEM returns the first PEM block of data, as text.
func firstPEM(data []byte) []byte {
	end := []byte("-----END CERTIFICATE-----")
	if i := bytes.Index(data, end); i >= 0 {
		return data[:i+len(end)]
	}
	return data
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ptrOr returns *p, or def when p is nil.
func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
