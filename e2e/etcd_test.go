//go:build e2e

package e2e

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler"
)

// Names of kubeadm's static pods.
const (
	podEtcd              = "etcd"
	podAPIServer         = "kube-apiserver"
	podControllerManager = "kube-controller-manager"
	podScheduler         = "kube-scheduler"
)

// etcdHealth is one entry of `etcdctl endpoint health -w json`.
type etcdHealth struct {
	Endpoint string `json:"endpoint"`
	Health   bool   `json:"health"`
	Error    string `json:"error"`
}

// etcdMembers is `etcdctl member list -w json`.
type etcdMembers struct {
	Header struct {
		ClusterID uint64 `json:"cluster_id"`
	} `json:"header"`
	Members []struct {
		Name       string   `json:"name"`
		PeerURLs   []string `json:"peerURLs"`
		ClientURLs []string `json:"clientURLs"`
		IsLearner  bool     `json:"isLearner"`
	} `json:"members"`
}

// etcdStatus is one entry of `etcdctl endpoint status -w json`.
type etcdStatus struct {
	Endpoint string `json:"Endpoint"`
	Status   struct {
		Header struct {
			ClusterID uint64 `json:"cluster_id"`
			MemberID  uint64 `json:"member_id"`
		} `json:"header"`
		Version string `json:"version"`
		Leader  uint64 `json:"leader"`
	} `json:"Status"`
}

// podOf returns host h's static pod named name, failing the test if the bundle has none.
func (s *suite) podOf(t *testing.T, h *simHost, name string) staticPod {
	t.Helper()
	pods, err := staticPods(h)
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range pods {
		if sp.pod.Name == name {
			return sp
		}
	}
	t.Fatalf("host %s: no static pod %s in %s", h.name, name, compiler.ManifestsDir)
	return staticPod{}
}

// podFlag returns a flag of a static pod's command line, failing the test if it is not set.
func podFlag(t *testing.T, sp staticPod, name string) string {
	t.Helper()
	ctr, err := sp.container()
	if err != nil {
		t.Fatal(err)
	}
	v, ok := flagValue(append(ctr.Command, ctr.Args...), name)
	if !ok {
		t.Fatalf("%s: no --%s in the manifest's command", sp.name(), name)
	}
	return v
}

// checkEtcd proves point 1: the members of the compiled manifests form one cluster over TLS,
// each with its own certificates, and answer etcdctl with the healthcheck-client certificate.
func (s *suite) checkEtcd(t *testing.T, procs []*process) {
	cps := s.controlPlanes()
	var advertised []string
	for _, h := range cps {
		sp := s.podOf(t, h, podEtcd)
		var local string
		for _, u := range strings.Split(podFlag(t, sp, "listen-client-urls"), ",") {
			if pu, err := url.Parse(u); err == nil && pu.Hostname() == "127.0.0.1" {
				local = u
			}
		}
		if local == "" {
			t.Fatalf("%s: no loopback URL in --listen-client-urls", sp.name())
		}
		advertised = append(advertised, podFlag(t, sp, "advertise-client-urls"))

		// On the node, as an operator would: the local member, the node's certificate files.
		var out string
		err := waitFor(s.ctx, "etcd on "+h.name+" healthy", 90*time.Second, procs, func() error {
			stdout, _, err := s.etcdctlOnHost(h, local, "endpoint", "health", "-w", "json")
			if err != nil {
				return err
			}
			var hs []etcdHealth
			decodeJSON(t, stdout, &hs)
			if len(hs) != 1 || !hs[0].Health {
				return errNotYet
			}
			out = stdout
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s$ etcdctl --endpoints=%s --cert=%s endpoint health -w json\n%s", h.name, local, compiler.EtcdHealthcheckClientCert, strings.TrimSpace(out))
	}

	// Across hosts: every member by its advertised address, from cp1.
	all := strings.Join(advertised, ",")
	stdout, _, err := s.etcdctlOnHost(cps[0], all, "endpoint", "health", "-w", "json")
	if err != nil {
		t.Fatalf("health of all members from %s: %v", cps[0].name, err)
	}
	var hs []etcdHealth
	decodeJSON(t, stdout, &hs)
	if len(hs) != len(cps) {
		t.Errorf("endpoint health answered for %d endpoints, want %d", len(hs), len(cps))
	}
	for _, h := range hs {
		if !h.Health {
			t.Errorf("member %s unhealthy: %s", h.Endpoint, h.Error)
		}
	}

	stdout, _, err = s.etcdctlOnHost(cps[0], all, "member", "list", "-w", "json")
	if err != nil {
		t.Fatalf("member list: %v", err)
	}
	var ml etcdMembers
	decodeJSON(t, stdout, &ml)
	var names []string
	for _, m := range ml.Members {
		names = append(names, m.Name)
		if m.IsLearner {
			t.Errorf("member %s is a learner", m.Name)
		}
		for _, u := range append(m.PeerURLs, m.ClientURLs...) {
			if !strings.HasPrefix(u, "https://") {
				t.Errorf("member %s: URL %s is not TLS", m.Name, u)
			}
		}
	}
	slices.Sort(names)
	var want []string
	for _, h := range cps {
		want = append(want, h.name)
	}
	if !slices.Equal(names, want) {
		t.Errorf("members %v, want %v", names, want)
	}
	t.Logf("member list: cluster %x, members %v", ml.Header.ClusterID, names)

	stdout, _, err = s.etcdctlOnHost(cps[0], all, "endpoint", "status", "-w", "json")
	if err != nil {
		t.Fatalf("endpoint status: %v", err)
	}
	var st []etcdStatus
	decodeJSON(t, stdout, &st)
	for _, e := range st {
		if e.Status.Header.ClusterID != ml.Header.ClusterID || e.Status.Leader == 0 || e.Status.Leader != st[0].Status.Leader {
			t.Errorf("%s: cluster %x leader %x; want cluster %x and one leader for all", e.Endpoint, e.Status.Header.ClusterID, e.Status.Leader, ml.Header.ClusterID)
		}
		t.Logf("endpoint status %s: version %s, member %x, leader %x", e.Endpoint, e.Status.Version, e.Status.Header.MemberID, e.Status.Leader)
	}

	// Client certificate authentication is enforced: the same call without a certificate fails.
	noCert := []string{"--endpoints=" + advertised[0], "--cacert=" + cps[0].path(compiler.EtcdCACertPath), "--dial-timeout=3s", "--command-timeout=5s", "endpoint", "health"}
	if out, err := s.runTool(filepath.Join(s.binDir, "etcdctl"), noCert...); err == nil {
		t.Errorf("etcdctl without a client certificate succeeded against %s: %s", advertised[0], out)
	} else {
		t.Logf("$ etcdctl --endpoints=%s (no --cert) endpoint health: fails, as it must:\n%s", advertised[0], out)
	}

	// Each member has its own server and peer certificates, valid for its address.
	seen := map[string]string{}
	for _, h := range cps {
		ca := h.path(compiler.EtcdCACertPath)
		for _, c := range []struct{ file, purpose string }{
			{compiler.EtcdServerCert, "sslserver"}, {compiler.EtcdPeerCert, "sslserver"}, {compiler.EtcdPeerCert, "sslclient"},
		} {
			out, err := s.verifyCert(ca, h.path(c.file), c.purpose, h.addr.String())
			if err != nil {
				t.Errorf("%s %s (%s): %v: %s", h.name, c.file, c.purpose, err, out)
			}
		}
		for _, f := range []string{compiler.EtcdServerCert, compiler.EtcdPeerCert} {
			data, err := os.ReadFile(h.path(f))
			if err != nil {
				t.Fatal(err)
			}
			key := string(bytes.TrimSpace(data))
			if other, dup := seen[key]; dup {
				t.Errorf("%s %s is the same certificate as %s", h.name, f, other)
			}
			seen[key] = h.name + " " + f
		}
	}
}
