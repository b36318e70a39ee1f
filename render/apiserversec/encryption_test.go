package apiserversec

import (
	"crypto/aes"
	"encoding/base64"
	"strings"
	"testing"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
)

// secretOf returns a distinct, valid 32-byte key per name.
func secretOf(name string) string {
	raw := make([]byte, KeySize)
	copy(raw, name)
	return base64.StdEncoding.EncodeToString(raw)
}

// decodeEncryptionConfig decodes a rendered file strictly with the apiserver's own type.
func decodeEncryptionConfig(t *testing.T, data []byte) apiserverv1.EncryptionConfiguration {
	t.Helper()
	var c apiserverv1.EncryptionConfiguration
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		t.Fatalf("strict decode: %v\n%s", err, data)
	}
	if c.APIVersion != "apiserver.config.k8s.io/v1" || c.Kind != "EncryptionConfiguration" {
		t.Fatalf("type %s %s", c.APIVersion, c.Kind)
	}
	return c
}

// order returns the providers as "provider/key" in the order the apiserver tries them.
func order(t *testing.T, c apiserverv1.EncryptionConfiguration) []string {
	t.Helper()
	if len(c.Resources) != 1 {
		t.Fatalf("%d resource entries", len(c.Resources))
	}
	var out []string
	for _, p := range c.Resources[0].Providers {
		var name string
		var keys []apiserverv1.Key
		switch {
		case p.Secretbox != nil:
			name, keys = "secretbox", p.Secretbox.Keys
		case p.AESCBC != nil:
			name, keys = "aescbc", p.AESCBC.Keys
		case p.AESGCM != nil:
			name, keys = "aesgcm", p.AESGCM.Keys
		case p.Identity != nil:
			out = append(out, "identity")
			continue
		default:
			t.Fatalf("provider entry without a provider: %+v", p)
		}
		for _, k := range keys {
			if k.Secret != secretOf(k.Name) {
				t.Errorf("key %s has the secret of another key", k.Name)
			}
			raw, err := base64.StdEncoding.DecodeString(k.Secret)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := aes.NewCipher(raw); err != nil {
				t.Errorf("key %s: %v", k.Name, err)
			}
			out = append(out, name+"/"+k.Name)
		}
	}
	return out
}

// TestEncryptionRotationStages renders each stage of a key rotation and checks the order the
// apiserver reads the providers in: the first key of the first provider writes, identity
// comes last so that data written before encryption stays readable.
func TestEncryptionRotationStages(t *testing.T) {
	sb := func(names ...string) []compiler.EncryptionKey {
		var out []compiler.EncryptionKey
		for _, n := range names {
			out = append(out, compiler.EncryptionKey{Name: n, Provider: compiler.ProviderSecretbox})
		}
		return out
	}
	for _, tc := range []struct {
		stage string
		keys  []compiler.EncryptionKey
		want  string
	}{
		{"enabled", sb("key1"), "secretbox/key1 identity"},
		{"new key added as a reader", sb("key1", "key2"), "secretbox/key1 secretbox/key2 identity"},
		{"new key promoted to writer", sb("key2", "key1"), "secretbox/key2 secretbox/key1 identity"},
		{"old key dropped", sb("key2"), "secretbox/key2 identity"},
		{"provider changed: the old key keeps its provider", []compiler.EncryptionKey{{Name: "key2", Provider: compiler.ProviderAESGCM}, {Name: "key1", Provider: compiler.ProviderSecretbox}},
			"aesgcm/key2 secretbox/key1 identity"},
		{"providers interleaved", []compiler.EncryptionKey{{Name: "a", Provider: compiler.ProviderAESCBC}, {Name: "b", Provider: compiler.ProviderSecretbox}, {Name: "c", Provider: compiler.ProviderAESCBC}},
			"aescbc/a secretbox/b aescbc/c identity"},
	} {
		t.Run(tc.stage, func(t *testing.T) {
			e := &compiler.EncryptionAtRest{Resources: []string{"secrets", "configmaps"}, Keys: tc.keys}
			secrets := map[string]string{}
			for _, k := range tc.keys {
				secrets[k.Name] = secretOf(k.Name)
			}
			data, err := EncryptionConfig(e, secrets)
			if err != nil {
				t.Fatal(err)
			}
			c := decodeEncryptionConfig(t, data)
			if got := strings.Join(order(t, c), " "); got != tc.want {
				t.Errorf("providers %s, want %s", got, tc.want)
			}
			if got := strings.Join(c.Resources[0].Resources, ","); got != "secrets,configmaps" {
				t.Errorf("resources %s", got)
			}
			// The manifest's annotation names the same order, without secrets.
			sum := ProvidersSummary(e)
			if want := strings.ReplaceAll(tc.want, " ", ","); sum != want {
				t.Errorf("summary %s, want %s", sum, want)
			}
		})
	}
}

// TestEncryptionConfigNeedsEverySecret: a key without its secret is an error, not an empty
// secret the apiserver would refuse at start.
func TestEncryptionConfigNeedsEverySecret(t *testing.T) {
	e := &compiler.EncryptionAtRest{Resources: []string{"secrets"}, Keys: []compiler.EncryptionKey{{Name: "key1", Provider: compiler.ProviderSecretbox}}}
	if _, err := EncryptionConfig(e, nil); err == nil {
		t.Error("no error without the key's secret")
	}
}
