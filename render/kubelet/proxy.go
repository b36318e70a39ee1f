package kubelet

import (
	"fmt"
	"kubeforge.dev/kubeforge/render/internal/unit"
	"strings"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// runtimeServices returns the systemd services that reach registries for the runtime kind.
// With cri-dockerd, Docker's daemon pulls the images, so it needs the proxy too.
func runtimeServices(kind string) []string {
	switch kind {
	case "cri-o":
		return []string{"crio.service"}
	case "cri-dockerd":
		return []string{"cri-docker.service", "docker.service"}
	default:
		return []string{"containerd.service"}
	}
}

// proxyArtifacts returns the proxy drop-ins of the kubelet and the runtime's services, or
// nothing when the cluster has no proxy.
func proxyArtifacts(c *compiler.Cluster) ([]artifact.Artifact, error) {
	if c.Proxy == nil {
		return nil, nil
	}
	data, err := proxyConf(c.Proxy)
	if err != nil {
		return nil, fmt.Errorf("proxy drop-in: %w", err)
	}
	src := sources{}
	src.add("proxy.noProxy", "networking.podSubnets", "networking.serviceSubnets", "networking.dnsDomain")
	if c.Proxy.HTTP != "" {
		src.add("proxy.http")
	}
	if c.Proxy.HTTPS != "" {
		src.add("proxy.https")
	}
	if c.Endpoint.Explicit {
		src.add("controlPlaneEndpoint")
	}
	out := []artifact.Artifact{kubeletUnitFile(compiler.ProxyDropInPath(kubeletUnit), data, src.list()...)}
	for _, svc := range runtimeServices(c.Runtime.Kind) {
		rs := sources{}
		rs.add(src.list()...)
		rs.add("containerRuntime.kind")
		// The runtime reads its environment when it starts: only systemd is reloaded, so the
		// proxy applies from the runtime's next start (restarting it is the operator's call).
		out = append(out, artifact.File(compiler.ProxyDropInPath(svc), 0o644, data, rs.list()...).OfUnit(svc))
	}
	return out, nil
}

// proxyConf returns a drop-in setting the proxy variables in both cases: Go programs read the
// upper-case ones, curl and others the lower-case ones.
func proxyConf(p *compiler.Proxy) ([]byte, error) {
	var u unit.File
	u.Section("Service")
	env := func(name, value string) {
		u.SetEnv(strings.ToUpper(name), value)
		u.SetEnv(name, value)
	}
	if p.HTTP != "" {
		env("http_proxy", p.HTTP)
	}
	if p.HTTPS != "" {
		env("https_proxy", p.HTTPS)
	}
	env("no_proxy", strings.Join(p.NoProxy, ","))
	return u.Bytes()
}
