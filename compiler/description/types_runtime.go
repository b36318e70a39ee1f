package description

// Containerd mirrors #RuntimeConfig.containerd.
type Containerd struct {
	Version string `json:"version"`
	Config  string `json:"config"`
}

// RuntimeOverrides mirrors #RuntimeOverrides: what a group or a host changes of the runtime's
// configuration.
type RuntimeOverrides struct {
	// RegistryMirrors maps a registry to its mirrors, each a URL string or a RegistryMirror
	// as decoded from JSON (map[string]any); the compiler reads both.
	RegistryMirrors map[string][]any `json:"registryMirrors,omitempty"`
}
