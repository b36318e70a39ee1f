package kubelet

import (
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
)

func TestProxyDropIns(t *testing.T) {
	c := loadExample(t, "dedicated-etcd")
	for _, h := range c.Hosts {
		b := render(t, c, h)
		kubelet := lookup(t, b, compiler.KubeletDropInDir+"/http-proxy.conf")
		crio := lookup(t, b, "/etc/systemd/system/crio.service.d/http-proxy.conf")
		if string(kubelet.Data) != string(crio.Data) {
			t.Errorf("%s: kubelet and CRI-O proxy drop-ins differ", h.Name)
		}
		text := string(crio.Data)
		for _, want := range []string{
			`Environment="HTTPS_PROXY=http://proxy.example.com:3128"`,
			`Environment="https_proxy=http://proxy.example.com:3128"`,
		} {
			if !strings.Contains(text, want+"\n") {
				t.Errorf("%s: proxy drop-in lacks %s:\n%s", h.Name, want, text)
			}
		}
		// No http proxy was given: no empty variable either.
		if strings.Contains(strings.ToLower(text), "http_proxy=") {
			t.Errorf("%s: HTTP_PROXY set without proxy.http:\n%s", h.Name, text)
		}
		for _, name := range []string{"NO_PROXY", "no_proxy"} {
			v := envValue(text, name)
			list := strings.Split(v, ",")
			for _, must := range []string{".example.com", "10.33.0.0/20", "10.32.0.0/16", "192.168.20.10", ".edge.local", "localhost", "127.0.0.1"} {
				if !contains(list, must) {
					t.Errorf("%s: %s=%q lacks %s", h.Name, name, v, must)
				}
			}
		}
		if _, ok := b.Lookup("/etc/systemd/system/containerd.service.d/http-proxy.conf"); ok {
			t.Errorf("%s: containerd drop-in on a CRI-O cluster", h.Name)
		}
	}
}

func envValue(text, name string) string {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, `Environment="`+name+"="); ok {
			return strings.TrimSuffix(v, `"`)
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestProxyRuntimeServices(t *testing.T) {
	for _, tc := range []struct {
		kind string
		want []string
	}{
		{"containerd", []string{"containerd.service"}},
		{"cri-o", []string{"crio.service"}},
		// Docker's daemon, not cri-dockerd, pulls the images.
		{"cri-dockerd", []string{"cri-docker.service", "docker.service"}},
	} {
		c := compilertest.LoadYAML(t, `
apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
containerRuntime: {kind: `+tc.kind+`}
proxy: {http: "http://user:p%40ss@proxy:3128", https: "http://proxy:3128", noProxy: [internal.example]}
hosts:
  - {name: n1, addresses: [10.0.0.1], roles: [control-plane, worker]}
`)
		b := render(t, c, c.Hosts[0])
		var got []string
		for _, a := range b.Artifacts {
			if strings.HasSuffix(a.Path, ".service.d/http-proxy.conf") && !strings.Contains(a.Path, "kubelet") {
				got = append(got, strings.TrimSuffix(strings.TrimPrefix(a.Path, "/etc/systemd/system/"), ".d/http-proxy.conf"))
			}
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: proxy drop-ins for %v, want %v", tc.kind, got, tc.want)
		}
		text := string(lookup(t, b, compiler.KubeletDropInDir+"/http-proxy.conf").Data)
		// '%' is a systemd specifier: it must be doubled to reach the environment unchanged.
		if !strings.Contains(text, `Environment="HTTP_PROXY=http://user:p%%40ss@proxy:3128"`) {
			t.Errorf("%s: HTTP_PROXY not escaped for systemd:\n%s", tc.kind, text)
		}
		if no := envValue(text, "NO_PROXY"); !contains(strings.Split(no, ","), "10.96.0.0/12") || !contains(strings.Split(no, ","), "internal.example") {
			t.Errorf("%s: NO_PROXY=%q lacks the service network or the user's entry", tc.kind, no)
		}
		requireVerified(t, tc.kind, b.Artifacts)
	}
}

func TestNoProxyDropInsWithoutProxy(t *testing.T) {
	c := loadExample(t, "ha")
	for _, a := range render(t, c, c.Hosts[0]).Artifacts {
		if strings.Contains(a.Path, "http-proxy") || strings.Contains(string(a.Data), "PROXY") {
			t.Errorf("proxy setting without a proxy: %s", a.Path)
		}
	}
}
