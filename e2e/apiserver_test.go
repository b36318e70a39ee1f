//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"

	"kubeforge.dev/kubeforge/compiler"
)

// superAdminConf returns the super-admin.conf of the first control-plane bundle holding one
// (kubeadm writes it on the first control plane only).
func (s *suite) superAdminConf(t *testing.T) string {
	t.Helper()
	for _, h := range s.controlPlanes() {
		if p := h.path(compiler.SuperAdminConfPath); fileExists(p) {
			return p
		}
	}
	t.Fatalf("no control-plane bundle holds %s", compiler.SuperAdminConfPath)
	return ""
}

// apiServerAddr returns host:port where h's apiserver serves, from its manifest.
func (s *suite) apiServerAddr(t *testing.T, h *simHost) string {
	t.Helper()
	return net.JoinHostPort(h.addr.String(), podFlag(t, s.podOf(t, h, podAPIServer), "secure-port"))
}

// waitProbes waits until every probe of sp's container (startup, liveness, readiness)
// succeeds, as the kubelet would require before calling the pod ready; it returns the probes'
// answers.
func (s *suite) waitProbes(sp staticPod, timeout time.Duration) ([]string, error) {
	ctr, err := sp.container()
	if err != nil {
		return nil, err
	}
	var answers []string
	watch := []*process{}
	if p := s.started[sp.name()]; p != nil {
		watch = append(watch, p)
	}
	for _, pr := range []*corev1.Probe{ctr.StartupProbe, ctr.LivenessProbe, ctr.ReadinessProbe} {
		if pr == nil {
			continue
		}
		if pr.HTTPGet == nil {
			return answers, fmt.Errorf("%s: a probe without httpGet, which the suite cannot run", sp.name())
		}
		var got string
		err := waitFor(s.ctx, sp.name()+" probe "+pr.HTTPGet.Path, timeout, watch, func() error {
			var err error
			got, err = s.probe(sp, pr)
			return err
		})
		if err != nil {
			return answers, err
		}
		answers = append(answers, got)
	}
	if len(answers) == 0 {
		return nil, fmt.Errorf("%s: no probes in the manifest", sp.name())
	}
	return answers, nil
}

// checkAPIServers proves point 2: each apiserver becomes ready through its own etcd client
// certificate, and the endpoint certificate is valid for every name clients use.
func (s *suite) checkAPIServers(t *testing.T) {
	superAdmin := s.superAdminConf(t)
	cps := s.controlPlanes()
	for _, h := range cps {
		sp := s.podOf(t, h, podAPIServer)
		for flag, want := range map[string]string{"etcd-certfile": compiler.APIServerEtcdClientCert, "etcd-keyfile": compiler.APIServerEtcdClientKey, "etcd-cafile": compiler.EtcdCACertPath} {
			if got := podFlag(t, sp, flag); got != want {
				t.Errorf("%s: --%s=%s, want %s", sp.name(), flag, got, want)
			}
		}
		if out, err := s.verifyCert(h.path(compiler.EtcdCACertPath), h.path(compiler.APIServerEtcdClientCert), "sslclient"); err != nil {
			t.Errorf("%s apiserver-etcd-client.crt: %v: %s", h.name, err, out)
		}
		answers, err := s.waitProbes(sp, 3*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s probes as the kubelet runs them:\n%s", sp.name(), strings.Join(answers, "\n"))
		// etcd demands client certificates (point 1), so a passing etcd check is the
		// apiserver-etcd-client certificate at work.
		addr := s.apiServerAddr(t, h)
		out, _, err := s.kubectl(superAdmin, nil, "--server=https://"+addr, "get", "--raw=/readyz?verbose")
		if err != nil {
			t.Fatalf("%s /readyz: %v", h.name, err)
		}
		for _, want := range []string{"[+]etcd ok", "readyz check passed"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s /readyz?verbose lacks %q:\n%s", h.name, want, out)
			}
		}
		t.Logf("%s$ kubectl --server=https://%s get --raw='/readyz?verbose' | grep -e etcd -e passed\n%s", h.name, addr, grepLines(out, "etcd", "passed"))
		// The probes above ran without credentials; e2e.yaml limits anonymous requests to the
		// health endpoints (apiServer.authentication.anonymous), so the API itself refuses them.
		if got, err := getFromHost(h, "https://"+addr+"/api"); err == nil || !strings.Contains(got, ": 401 Unauthorized") {
			t.Errorf("%s: anonymous GET /api: %s (%v), want 401 Unauthorized", h.name, got, err)
		} else {
			t.Logf("%s: anonymous %s", h.name, got)
		}
	}

	c := s.cluster
	names := []string{c.Endpoint.Host, "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc." + c.Network.DNSDomain}
	for _, ip := range c.KubernetesServiceIPs() {
		names = append(names, ip.String())
	}
	ca := cps[0].path(compiler.CACertPath)
	for _, h := range cps {
		cert, err := s.servedCert(s.apiServerAddr(t, h), "apiserver-"+h.name)
		if err != nil {
			t.Fatalf("%s: %v", h.name, err)
		}
		out, err := s.verifyCert(ca, cert, "sslserver", append(slices.Clone(names), h.addr.String())...)
		if err != nil {
			t.Errorf("certificate served by %s's apiserver, for %v: %v: %s", h.name, names, err, out)
		} else {
			t.Logf("$ openssl verify -x509_strict -purpose sslserver -verify_ip/-verify_hostname %v + %s (served by %s): %s", names, h.addr, h.name, out)
		}
	}
	cert, err := s.servedCert(c.Endpoint.String(), "apiserver-endpoint")
	if err != nil {
		t.Fatalf("endpoint %s: %v", c.Endpoint, err)
	}
	if out, err := s.verifyCert(ca, cert, "sslserver", names...); err != nil {
		t.Errorf("certificate served at the endpoint %s: %v: %s", c.Endpoint, err, out)
	} else {
		t.Logf("$ openssl verify ... (served at the endpoint %s, through the load balancer): %s", c.Endpoint, out)
	}
}

// checkAdminIdentities proves point 3: admin.conf is kubernetes-admin in
// kubeadm:cluster-admins (the group kubeadm 1.29+ uses), super-admin.conf is in system:masters.
func (s *suite) checkAdminIdentities(t *testing.T) {
	for _, h := range s.controlPlanes() {
		u := s.whoami(t, h.path(compiler.AdminConfPath))
		if u.Username != "kubernetes-admin" || !slices.Contains(u.Groups, "kubeadm:cluster-admins") || slices.Contains(u.Groups, "system:masters") {
			t.Errorf("%s admin.conf is %s %v, want kubernetes-admin in kubeadm:cluster-admins (not system:masters)", h.name, u.Username, u.Groups)
		}
		t.Logf("%s$ kubectl --kubeconfig admin.conf auth whoami: %s %v", h.name, u.Username, u.Groups)
	}
	u := s.whoami(t, s.superAdminConf(t))
	if u.Username != "kubernetes-super-admin" || !slices.Contains(u.Groups, "system:masters") {
		t.Errorf("super-admin.conf is %s %v, want kubernetes-super-admin in system:masters", u.Username, u.Groups)
	}
	t.Logf("$ kubectl --kubeconfig super-admin.conf auth whoami: %s %v", u.Username, u.Groups)
}

// whoami returns who the apiserver says a kubeconfig's user is.
func (s *suite) whoami(t *testing.T, kubeconfig string, args ...string) authnv1.UserInfo {
	t.Helper()
	out, _, err := s.kubectl(kubeconfig, nil, append(args, "auth", "whoami", "-o", "json")...)
	if err != nil {
		t.Fatalf("whoami with %s: %v", kubeconfig, err)
	}
	var r authnv1.SelfSubjectReview
	decodeJSON(t, out, &r)
	return r.Status.UserInfo
}

// checkManifestsDryRun proves point 4: the real apiserver's validation and admission accept
// every static pod manifest of every bundle.
func (s *suite) checkManifestsDryRun(t *testing.T) {
	superAdmin := s.superAdminConf(t)
	// Pods are refused until the controller-manager creates the namespace's default account.
	err := waitFor(s.ctx, "kube-system/default service account", 2*time.Minute, nil, func() error {
		_, _, err := s.kubectl(superAdmin, nil, "get", "serviceaccount", "default", "-n", "kube-system")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(s.out, "*", strings.TrimPrefix(compiler.ManifestsDir, "/"), "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no static pod manifests in any bundle")
	}
	for _, f := range files {
		out, _, err := s.kubectl(superAdmin, nil, "create", "--dry-run=server", "-f", f, "-o", "name")
		rel, _ := filepath.Rel(s.out, f)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		t.Logf("$ kubectl create --dry-run=server -f %s -o name: %s", rel, strings.TrimSpace(out))
	}
}

// grepLines returns the lines of s containing any of words.
func grepLines(s string, words ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, w := range words {
			if strings.Contains(l, w) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// fileExists reports whether p is an existing file.
func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}
