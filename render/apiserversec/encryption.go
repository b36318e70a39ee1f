package apiserversec

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
)

// KeySize is the size of every generated key: secretbox takes 32 bytes only, and 32 is AES-256
// for aescbc and aesgcm.
const KeySize = 32

// EncryptionConfig returns the EncryptionConfiguration of e, given each key's secret (the
// base64 of its bytes, as the file holds it) by name. The providers follow the keys' order,
// so the first key writes; consecutive keys of one provider share its entry, whose first key
// is the one that writes; the identity provider comes last, so that values written before
// encryption was enabled stay readable until they are rewritten.
func EncryptionConfig(e *compiler.EncryptionAtRest, secrets map[string]string) ([]byte, error) {
	var providers []apiserverv1.ProviderConfiguration
	var last string
	for _, k := range e.Keys {
		secret, ok := secrets[k.Name]
		if !ok {
			return nil, fmt.Errorf("encryption key %s: no secret", k.Name)
		}
		key := apiserverv1.Key{Name: k.Name, Secret: secret}
		if k.Provider == last {
			keys := providerKeys(&providers[len(providers)-1])
			*keys = append(*keys, key)
			continue
		}
		var p apiserverv1.ProviderConfiguration
		switch k.Provider {
		case compiler.ProviderSecretbox:
			p.Secretbox = &apiserverv1.SecretboxConfiguration{}
		case compiler.ProviderAESCBC:
			p.AESCBC = &apiserverv1.AESConfiguration{}
		case compiler.ProviderAESGCM:
			p.AESGCM = &apiserverv1.AESConfiguration{}
		default:
			return nil, fmt.Errorf("encryption key %s: unknown provider %q", k.Name, k.Provider)
		}
		*providerKeys(&p) = []apiserverv1.Key{key}
		providers = append(providers, p)
		last = k.Provider
	}
	providers = append(providers, apiserverv1.ProviderConfiguration{Identity: &apiserverv1.IdentityConfiguration{}})
	return yaml.Marshal(apiserverv1.EncryptionConfiguration{
		TypeMeta:  metav1.TypeMeta{APIVersion: apiserverv1.SchemeGroupVersion.String(), Kind: "EncryptionConfiguration"},
		Resources: []apiserverv1.ResourceConfiguration{{Resources: e.Resources, Providers: providers}},
	})
}

// providerKeys returns the key list of a provider entry that has one.
func providerKeys(p *apiserverv1.ProviderConfiguration) *[]apiserverv1.Key {
	switch {
	case p.Secretbox != nil:
		return &p.Secretbox.Keys
	case p.AESCBC != nil:
		return &p.AESCBC.Keys
	default:
		return &p.AESGCM.Keys
	}
}

// ProvidersSummary returns the providers in order as provider/key names, identity last:
// "secretbox/key2,secretbox/key1,identity". It holds no key material; the apiserver's manifest
// carries it so that a change of stage changes the manifest and restarts the apiserver, which
// reads the configuration only when it starts.
func ProvidersSummary(e *compiler.EncryptionAtRest) string {
	s := ""
	for _, k := range e.Keys {
		s += k.Provider + "/" + k.Name + ","
	}
	return s + "identity"
}
