package pki

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"testing"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/kubeconfig"
)

// privateKeys returns the private keys an artifact holds (a PEM key, or a kubeconfig's
// embedded one), as their public keys' DER, and the secrets of an EncryptionConfiguration.
func privateKeys(t *testing.T, a artifact.Artifact) []string {
	t.Helper()
	if a.Path == compiler.EncryptionConfigPath {
		return encryptionSecrets(t, a.Data)
	}
	data := a.Data
	if k, ok := kubeconfig.Parse(a.Data); ok {
		data = k.Users[0].User.ClientKeyData
	} else if !strings.Contains(string(a.Data), "PRIVATE KEY") {
		return nil
	}
	key, err := parseKey(data)
	if err != nil {
		t.Fatalf("%s: %v", a.Path, err)
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return []string{string(der)}
}

// privilegeViolations checks the bundles of a cluster by rules written independently of the
// tables: workers hold no key but their own kubelet ones; no bundle holds the front-proxy or
// etcd CA key; only control-plane hosts hold ca.key, sa.key and the encryption keys; every file
// holding a key is a 0600 secret; no two hosts share a private key except the cluster CA,
// service-account and encryption keys that every control-plane host needs; kubelet.conf names
// its own node.
func privilegeViolations(t *testing.T, c *compiler.Cluster, bundles map[string][]artifact.Artifact) []string {
	var bad []string
	report := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	owners := map[string][]string{} // public key → "host:path"
	for _, h := range c.Hosts {
		cp := h.Has(compiler.RoleControlPlane)
		worker := !cp && !c.RunsEtcd(h)
		arts := bundles[h.Name]
		if len(arts) == 0 {
			report("%s: empty bundle", h.Name)
		}
		for _, a := range arts {
			where := h.Name + ":" + a.Path
			keys := privateKeys(t, a)
			if len(keys) > 0 && (!a.Secret || a.Mode.Perm() != 0o600) {
				report("%s holds a private key but is not a 0600 secret (%v, secret %t)", where, a.Mode, a.Secret)
			}
			if a.Secret && len(keys) == 0 {
				report("%s is marked secret but holds no key", where)
			}
			if !a.IsDir() && len(keys) == 0 && a.Mode.Perm() != 0o644 && a.Path != compiler.ServiceAccountPubPath {
				report("%s: mode %v, want 0644 for a certificate", where, a.Mode)
			}
			switch a.Path {
			case compiler.SuperAdminConfPath:
				// system:masters cannot be revoked: one copy, on the first control-plane host.
				if h != c.HostsWith(compiler.RoleControlPlane)[0] {
					report("%s: only the first control-plane host may hold super-admin.conf", where)
				}
			case compiler.FrontProxyCAKeyPath, compiler.EtcdCAKeyPath:
				report("%s: this CA key must stay in the store", where)
			case compiler.CAKeyPath, compiler.ServiceAccountKeyPath, compiler.EncryptionConfigPath:
				if !cp {
					report("%s: only control-plane hosts may hold it", where)
				}
			}
			if worker && len(keys) > 0 && a.Path != compiler.KubeletServingKey && a.Path != compiler.KubeletConfPath {
				report("%s: a worker holds a key that is not its own kubelet's", where)
			}
			if worker && strings.HasPrefix(a.Path, compiler.EtcdPKIDir) {
				report("%s: a worker holds etcd files", where)
			}
			for _, k := range keys {
				owners[k] = append(owners[k], where)
			}
		}
		if kc, ok := lookup(arts, compiler.KubeletConfPath); ok {
			cert := certOf(t, kc)
			if cert.Subject.CommonName != "system:node:"+h.NodeName || !slices.Equal(cert.Subject.Organization, []string{"system:nodes"}) {
				report("%s: kubelet.conf is for %s", h.Name, cert.Subject)
			}
		} else if !c.EtcdOnly(h) {
			report("%s: no kubelet.conf", h.Name)
		}
	}
	for _, where := range owners {
		if len(where) == 1 {
			continue
		}
		for _, w := range where {
			file := strings.SplitN(w, ":", 2)[1]
			if file != compiler.CAKeyPath && file != compiler.ServiceAccountKeyPath && file != compiler.EncryptionConfigPath {
				report("one private key in %v", where)
				break
			}
		}
	}
	slices.Sort(bad)
	return bad
}

func bundlesOf(c *compiler.Cluster, r *Result) map[string][]artifact.Artifact {
	out := map[string][]artifact.Artifact{}
	for _, h := range c.Hosts {
		out[h.Name] = r.HostArtifacts(h)
	}
	return out
}

// TestLeastPrivilege walks every bundle of every example.
func TestLeastPrivilege(t *testing.T) {
	for _, ex := range examples {
		t.Run(ex, func(t *testing.T) {
			c, r := issuedExample(t, ex)
			for _, v := range privilegeViolations(t, c, bundlesOf(c, r)) {
				t.Error(v)
			}
		})
	}
}

// TestLeastPrivilegeCatchesLeaks makes sure the rules see leaks: the cluster CA key, another
// host's key, the etcd CA key, a second super-admin.conf or encryption keys slipped into a
// bundle.
func TestLeastPrivilegeCatchesLeaks(t *testing.T) {
	c, r := issuedExample(t, "ha.yaml")
	cp1 := r.HostArtifacts(compilertest.Host(t, c, "cp1"))
	caKey, _ := lookup(cp1, compiler.CAKeyPath)
	w2Key, _ := lookup(r.HostArtifacts(compilertest.Host(t, c, "w2")), compiler.KubeletServingKey)
	etcdKey := caKey
	etcdKey.Path = compiler.EtcdCAKeyPath
	superAdmin, _ := lookup(cp1, compiler.SuperAdminConfPath)
	for name, leak := range map[string]struct {
		host string
		a    artifact.Artifact
	}{
		"ca key on a worker":        {"w1", caKey},
		"another host's key":        {"w1", func() artifact.Artifact { a := w2Key; a.Path = "/root/stolen.key"; return a }()},
		"etcd CA key anywhere":      {"cp2", etcdKey},
		"key readable by everyone":  {"w3", func() artifact.Artifact { a := w2Key; a.Mode = 0o644; return a }()},
		"a second super-admin.conf": {"cp2", superAdmin},
		"encryption keys on a worker": {"w1", artifact.Artifact{Path: compiler.EncryptionConfigPath, Mode: 0o600, Secret: true,
			Data: []byte("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - secretbox:\n      keys: [{name: key1, secret: c2VjcmV0}]\n")}},
	} {
		bundles := bundlesOf(c, r)
		bundles[leak.host] = append(bundles[leak.host], leak.a)
		if v := privilegeViolations(t, c, bundles); len(v) == 0 {
			t.Errorf("%s: not caught", name)
		}
	}
}

// encryptionSecrets returns the key secrets an EncryptionConfiguration holds.
func encryptionSecrets(t *testing.T, data []byte) []string {
	t.Helper()
	var cfg apiserverv1.EncryptionConfiguration
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		t.Fatalf("%s: %v", compiler.EncryptionConfigPath, err)
	}
	var out []string
	for _, r := range cfg.Resources {
		for _, p := range r.Providers {
			var keys []apiserverv1.Key
			if p.AESGCM != nil {
				keys = append(keys, p.AESGCM.Keys...)
			}
			if p.AESCBC != nil {
				keys = append(keys, p.AESCBC.Keys...)
			}
			if p.Secretbox != nil {
				keys = append(keys, p.Secretbox.Keys...)
			}
			for _, k := range keys {
				out = append(out, "encryption:"+k.Secret)
			}
		}
	}
	return out
}
