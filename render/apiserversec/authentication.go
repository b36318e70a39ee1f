package apiserversec

import (
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
)

// AuthenticationConfig returns the YAML of a's AuthenticationConfiguration, issuers' CAs
// embedded.
func AuthenticationConfig(a *compiler.Authentication) []byte {
	data, err := yaml.Marshal(a.Config)
	if err != nil {
		panic("apiserversec: marshalling an AuthenticationConfiguration: " + err.Error())
	}
	return data
}
