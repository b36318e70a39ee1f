//go:build e2e

package e2e

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	authnv1 "k8s.io/api/authentication/v1"

	"kubeforge.dev/kubeforge/compiler"
)

const (
	e2eServiceAccount = "kubeforge-e2e"
	proxiedUser       = "kubeforge-e2e-proxied"
	proxiedGroup      = "kubeforge-e2e-proxied-group"
)

// emptyKubeconfig returns a kubeconfig without clusters or users, so that kubectl uses only
// the credentials given on its command line.
func (s *suite) emptyKubeconfig(t *testing.T) string {
	t.Helper()
	p := filepath.Join(s.run, "empty.kubeconfig")
	if err := os.WriteFile(p, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkTokensAndFrontProxy proves point 7: a service-account token issued through the API is
// accepted by every apiserver (sa.key signs what every sa.pub verifies), and the front-proxy
// flags work: a request carrying the front-proxy client certificate is authenticated as the
// user its headers name.
func (s *suite) checkTokensAndFrontProxy(t *testing.T) {
	superAdmin := s.superAdminConf(t)
	cps := s.controlPlanes()
	if _, _, err := s.kubectl(superAdmin, nil, "create", "serviceaccount", e2eServiceAccount, "-n", "default"); err != nil {
		t.Fatal(err)
	}
	token, _, err := s.kubectl(superAdmin, nil, "create", "token", e2eServiceAccount, "-n", "default", "--duration=10m")
	if err != nil {
		t.Fatal(err)
	}
	token = strings.TrimSpace(token)
	empty := s.emptyKubeconfig(t)
	want := "system:serviceaccount:default:" + e2eServiceAccount
	for _, h := range cps {
		u := s.whoami(t, empty, "--server=https://"+s.apiServerAddr(t, h), "--certificate-authority="+h.path(compiler.CACertPath), "--token="+token)
		if u.Username != want {
			t.Errorf("token at %s's apiserver is %q, want %s", h.name, u.Username, want)
		}
		t.Logf("$ kubectl create token %s; kubectl --server=https://%s auth whoami --token=...: %s %v", e2eServiceAccount, s.apiServerAddr(t, h), u.Username, u.Groups)
		s.checkPublicKeyMatches(t, h.path(compiler.ServiceAccountKeyPath), h.path(compiler.ServiceAccountPubPath))
	}

	for _, h := range cps {
		sp := s.podOf(t, h, podAPIServer)
		for flag, want := range map[string]string{
			"requestheader-client-ca-file": compiler.FrontProxyCACertPath,
			"proxy-client-cert-file":       compiler.FrontProxyClientCert,
			"proxy-client-key-file":        compiler.FrontProxyClientKey,
		} {
			if got := podFlag(t, sp, flag); got != want {
				t.Errorf("%s: --%s=%s, want %s", sp.name(), flag, got, want)
			}
		}
		allowed := strings.Split(podFlag(t, sp, "requestheader-allowed-names"), ",")
		userHeader := strings.Split(podFlag(t, sp, "requestheader-username-headers"), ",")[0]
		groupHeader := strings.Split(podFlag(t, sp, "requestheader-group-headers"), ",")[0]
		podFlag(t, sp, "requestheader-extra-headers-prefix")

		clientCert := h.path(compiler.FrontProxyClientCert)
		if out, err := s.verifyCert(h.path(compiler.FrontProxyCACertPath), clientCert, "sslclient"); err != nil {
			t.Errorf("%s front-proxy-client.crt: %v: %s", h.name, err, out)
		}
		if cn := certCommonName(t, clientCert); !slices.Contains(allowed, cn) {
			t.Errorf("%s: front-proxy-client CN %q not in --requestheader-allowed-names %v", h.name, cn, allowed)
		}
		u, err := s.proxiedWhoami(h, s.apiServerAddr(t, h), userHeader, groupHeader)
		if err != nil {
			t.Errorf("%s: request through the front proxy: %v", h.name, err)
			continue
		}
		if u.Username != proxiedUser || !slices.Contains(u.Groups, proxiedGroup) {
			t.Errorf("%s: front-proxied request authenticated as %s %v, want %s in %s", h.name, u.Username, u.Groups, proxiedUser, proxiedGroup)
		}
		t.Logf("%s: SelfSubjectReview with front-proxy-client.crt and %s: %s, %s: %s -> %s %v", h.name, userHeader, proxiedUser, groupHeader, proxiedGroup, u.Username, u.Groups)
	}
}

// proxiedWhoami asks h's apiserver at addr who the caller is, calling as an aggregated API server's
// front proxy does: with the front-proxy client certificate and the user in headers.
func (s *suite) proxiedWhoami(h *simHost, addr, userHeader, groupHeader string) (authnv1.UserInfo, error) {
	client, err := tlsClient(h.path(compiler.CACertPath), h.path(compiler.FrontProxyClientCert), h.path(compiler.FrontProxyClientKey))
	if err != nil {
		return authnv1.UserInfo{}, err
	}
	body := []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`)
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, "https://"+addr+"/apis/authentication.k8s.io/v1/selfsubjectreviews", bytes.NewReader(body))
	if err != nil {
		return authnv1.UserInfo{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(userHeader, proxiedUser)
	req.Header.Set(groupHeader, proxiedGroup)
	resp, err := client.Do(req)
	if err != nil {
		return authnv1.UserInfo{}, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return authnv1.UserInfo{}, fmt.Errorf("%s: %s", resp.Status, data)
	}
	var r authnv1.SelfSubjectReview
	if err := json.Unmarshal(data, &r); err != nil {
		return authnv1.UserInfo{}, err
	}
	return r.Status.UserInfo, nil
}

// certCommonName returns the subject CN of a PEM certificate file.
func certCommonName(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatalf("%s: no PEM block", file)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return c.Subject.CommonName
}
