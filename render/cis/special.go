package cis

import (
	"bytes"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	proxyv1alpha1 "k8s.io/kube-proxy/config/v1alpha1"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// Checks that need more than one flag or file.

// etcdDataDir picks etcd's data directory, as its --data-dir names it.
func etcdDataDir(h *host) []artifact.Artifact {
	if d, ok := h.arg(Etcd, "data-dir"); ok {
		return file(d)(h)
	}
	return nil
}

// etcdDataDirOwner passes when etcd's data directory belongs to the user etcd runs as: CIS
// says etcd:etcd, the user of a packaged etcd; a kubeadm static pod runs etcd as root, whose
// directory root:root is what keeps other users out (see doc.go).
func etcdDataDirOwner(h *host) verdict {
	dirs := etcdDataDir(h)
	if len(dirs) == 0 {
		return failed("etcd's --data-dir is not in the bundle: the kubelet would create it 0755")
	}
	uid := int(h.runAsUser[Etcd])
	if a := dirs[0]; a.UID != uid {
		return failed("%s is owned by %s, but etcd runs as uid %d", a.Path, owner(a), uid)
	}
	return passed()
}

// anonymousAuthOff passes when the apiserver refuses anonymous requests, or accepts them only
// on its health endpoints: kubeadm's probes of the apiserver are unauthenticated GETs of
// /livez and /readyz, which --anonymous-auth=false breaks, and which an
// AuthenticationConfiguration's anonymous conditions keep open alone. Without an anonymous
// section in that file, --anonymous-auth decides (default true).
func anonymousAuthOff(h *host) verdict {
	p, ok := h.arg(APIServer, "authentication-config")
	if !ok {
		return argIs(APIServer, "anonymous-auth", "false", "true")(h)
	}
	a, ok := h.files[p]
	if !ok {
		return failed("--authentication-config names %s, which is not in the bundle", p)
	}
	var cfg apiserverv1.AuthenticationConfiguration
	if err := yaml.UnmarshalStrict(a.Data, &cfg); err != nil {
		return failed("%s: %v", p, err)
	}
	anon := cfg.Anonymous
	switch {
	case anon == nil:
		return argIs(APIServer, "anonymous-auth", "false", "true")(h)
	case !anon.Enabled:
		return passed()
	case len(anon.Conditions) == 0:
		return failed("%s: anonymous is enabled on every path", p)
	}
	var open []string
	for _, c := range anon.Conditions {
		if !healthPaths[c.Path] {
			open = append(open, c.Path)
		}
	}
	if len(open) > 0 {
		return failed("%s: anonymous is enabled on %s, not only the health endpoints", p, strings.Join(open, ", "))
	}
	return passed()
}

// healthPaths are the apiserver's health endpoints, which serve no cluster data.
var healthPaths = map[string]bool{"/livez": true, "/readyz": true, "/healthz": true}

// encryptionConfig decodes the apiserver's EncryptionConfiguration, strictly.
func encryptionConfig(h *host) (*apiserverv1.EncryptionConfiguration, verdict) {
	p, ok := h.arg(APIServer, "encryption-provider-config")
	if !ok {
		return nil, failed("%s: --encryption-provider-config is not set: Secrets are stored in etcd in clear", manifestPath(APIServer))
	}
	a, ok := h.files[p]
	if !ok {
		return nil, failed("--encryption-provider-config names %s, which is not in the bundle", p)
	}
	if a.Unknown {
		return nil, manual("%s is a secret this compile does not know", p)
	}
	var cfg apiserverv1.EncryptionConfiguration
	if err := yaml.UnmarshalStrict(a.Data, &cfg); err != nil {
		return nil, failed("%s: %v", p, err)
	}
	return &cfg, passed()
}

// encryptionProviders passes when the provider that writes Secrets (the first) is aescbc,
// secretbox or kms; providers after it only read what was stored before.
func encryptionProviders(h *host) verdict {
	cfg, v := encryptionConfig(h)
	if cfg == nil {
		return v
	}
	for _, r := range cfg.Resources {
		if len(r.Providers) == 0 {
			continue
		}
		if w := providerName(r.Providers[0]); w != "aescbc" && w != "secretbox" && w != "kms" {
			return failed("%s are written with %s, not aescbc, secretbox or kms", strings.Join(r.Resources, ","), w)
		}
	}
	return passed()
}

// secretsEncrypted passes when Secrets are written with a provider other than identity.
func secretsEncrypted(h *host) verdict {
	cfg, v := encryptionConfig(h)
	if cfg == nil {
		return v
	}
	for _, r := range cfg.Resources {
		for _, res := range r.Resources {
			if (res == "secrets" || res == "*.*" || res == "*.") && len(r.Providers) > 0 {
				if w := providerName(r.Providers[0]); w != "identity" {
					return passed()
				}
				return failed("Secrets are written with identity: in clear")
			}
		}
	}
	return failed("the EncryptionConfiguration does not name secrets")
}

func providerName(p apiserverv1.ProviderConfiguration) string {
	switch {
	case p.AESGCM != nil:
		return "aesgcm"
	case p.AESCBC != nil:
		return "aescbc"
	case p.Secretbox != nil:
		return "secretbox"
	case p.KMS != nil:
		return "kms"
	}
	return "identity"
}

// auditPolicy passes when the apiserver has an audit policy file and the bundle holds it.
func auditPolicy(h *host) verdict {
	p, ok := h.arg(APIServer, "audit-policy-file")
	if !ok {
		return failed("%s: --audit-policy-file is not set: the apiserver records nothing", manifestPath(APIServer))
	}
	if _, ok := h.files[p]; !ok {
		return failed("--audit-policy-file names %s, which is not in the bundle", p)
	}
	return passed()
}

// auditLogged passes when the apiserver logs audit events under a policy.
func auditLogged(h *host) verdict {
	if v := auditPolicy(h); v.status != Pass {
		return v
	}
	_, path := h.arg(APIServer, "audit-log-path")
	_, hook := h.arg(APIServer, "audit-webhook-config-file")
	if !path && !hook {
		return failed("%s: neither --audit-log-path nor --audit-webhook-config-file is set", manifestPath(APIServer))
	}
	return passed()
}

// uniqueEtcdCA passes when etcd trusts a CA other than the cluster CA that signs every
// client certificate of the cluster (by content, not only by path).
func uniqueEtcdCA(h *host) verdict {
	etcdCA, ok := h.arg(Etcd, "trusted-ca-file")
	if !ok {
		return failed("%s: --trusted-ca-file is not set", manifestPath(Etcd))
	}
	a, ok := h.files[etcdCA]
	if !ok {
		return failed("--trusted-ca-file names %s, which is not in the bundle", etcdCA)
	}
	for p, b := range h.files {
		if p != etcdCA && strings.HasSuffix(p, "/ca.crt") && bytes.Equal(b.Data, a.Data) {
			return failed("etcd's CA %s is the same certificate as %s", etcdCA, p)
		}
	}
	return passed()
}

// etcdOverTLS passes when the apiserver reaches etcd only over https.
func etcdOverTLS(h *host) verdict {
	for _, u := range h.argList(APIServer, "etcd-servers") {
		if !strings.HasPrefix(u, "https://") {
			return failed("%s: --etcd-servers includes %s, not https", manifestPath(APIServer), u)
		}
	}
	return passed()
}

// kubeProxyMetricsLocal passes when kube-proxy's metrics listen on loopback only; its
// configuration is the cluster bundle's kube-proxy ConfigMap.
func kubeProxyMetricsLocal(h *host) verdict {
	for _, a := range h.files {
		var cm corev1.ConfigMap
		if !strings.HasSuffix(a.Path, "-configmap-kube-proxy.yaml") || yaml.Unmarshal(a.Data, &cm) != nil {
			continue
		}
		var cfg proxyv1alpha1.KubeProxyConfiguration
		if err := yaml.UnmarshalStrict([]byte(cm.Data["config.conf"]), &cfg); err != nil {
			return failed("%s: config.conf: %v", a.Path, err)
		}
		addr := cfg.MetricsBindAddress
		if addr == "" {
			return passed() // kube-proxy's default, 127.0.0.1:10249
		}
		if !strings.HasPrefix(addr, "127.0.0.1:") && !strings.HasPrefix(addr, "[::1]:") {
			return failed("%s: metricsBindAddress is %s, not loopback", a.Path, addr)
		}
		return passed()
	}
	return manual("the cluster bundle has no kube-proxy ConfigMap (addons.kubeProxy.enabled: false): check the proxy that replaces it")
}

// firewalled passes when the host's bundle configures firewalld.
func firewalled(h *host) verdict {
	for p := range h.files {
		if strings.HasPrefix(p, compiler.FirewalldZonesDir+"/") {
			return passed()
		}
	}
	return failed("no firewalld zone in the bundle: every port of the host is open")
}
