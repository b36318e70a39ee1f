package compiler

import (
	"cmp"
	"maps"
	"slices"

	"kubeforge.dev/kubeforge/compiler/description"
)

// CredentialProviderAPIVersion is the request and response version of a provider that names
// none: the stable one, which every supported kubelet speaks.
const CredentialProviderAPIVersion = "credentialprovider.kubelet.k8s.io/v1"

// The kubelet flags naming the credential provider files, which kubeforge passes to hosts with
// providers: the kubelets of every supported minor (1.35 to 1.37) take them as flags only, as
// KubeletConfiguration v1beta1 has no field for them. An extra arg of the same name would
// replace them.
const (
	CredentialProviderConfigFlag = "image-credential-provider-config"
	CredentialProviderBinDirFlag = "image-credential-provider-bin-dir"
)

// CredentialProvider is an exec plugin the kubelet runs for the credentials of the images it
// pulls (the kubelet's CredentialProviderConfig), as the description gives it: each string
// checked by the schema, relations between them by checks_credprov.go.
type CredentialProvider struct {
	// Name is the executable's file name in the kubelet's bin dir.
	Name        string
	MatchImages []string
	// DefaultCacheDuration is a duration as the description writes it, such as 12h.
	DefaultCacheDuration string
	APIVersion           string
	Args                 []string
	Env                  map[string]string
}

// credentialProviders returns a layer's providers, with the API version defaulted.
func credentialProviders(in []description.CredentialProvider) []CredentialProvider {
	out := make([]CredentialProvider, len(in))
	for i, p := range in {
		out[i] = CredentialProvider{
			Name:                 p.Name,
			MatchImages:          slices.Clone(p.MatchImages),
			DefaultCacheDuration: p.DefaultCacheDuration,
			APIVersion:           cmp.Or(p.APIVersion, CredentialProviderAPIVersion),
			Args:                 slices.Clone(p.Args),
			Env:                  maps.Clone(p.Env),
		}
	}
	return out
}
