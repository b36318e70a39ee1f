// Package description loads a cluster description (CUE, YAML or JSON), checks it against the
// embedded CUE schema and decodes it into Go types that mirror the schema field for field.
//
// The types here are the description as written (after the schema's defaults); the compiler
// package turns them into the model it compiles. A test keeps them and the schema in step.
package description

// Cluster mirrors #Cluster.
type Cluster struct {
	APIVersion           string                   `json:"apiVersion"`
	Kind                 string                   `json:"kind"`
	Name                 string                   `json:"name"`
	KubernetesVersion    string                   `json:"kubernetesVersion"`
	ImageRepository      string                   `json:"imageRepository"`
	ControlPlaneEndpoint string                   `json:"controlPlaneEndpoint,omitempty"`
	APIServer            APIServer                `json:"apiServer"`
	ControllerManager    Component                `json:"controllerManager"`
	Scheduler            Component                `json:"scheduler"`
	Networking           Networking               `json:"networking"`
	Etcd                 Etcd                     `json:"etcd"`
	ContainerRuntime     ContainerRuntime         `json:"containerRuntime"`
	Kubelet              Kubelet                  `json:"kubelet"`
	PKI                  PKI                      `json:"pki"`
	Proxy                *Proxy                   `json:"proxy,omitempty"`
	Firewall             Firewall                 `json:"firewall"`
	Sysctls              map[string]any           `json:"sysctls"`
	Addons               Addons                   `json:"addons"`
	HostDefaults         HostSettings             `json:"hostDefaults"`
	Groups               map[string]GroupSettings `json:"groups"`
	Hosts                []Host                   `json:"hosts"`
	Checks               Checks                   `json:"checks"`
}

// Checks mirrors checks: the benchmark waivers of kubeforge check.
type Checks struct {
	// Waive maps a control ID to the reason it may fail.
	Waive map[string]string `json:"waive"`
}

type APIServer struct {
	BindPort         int               `json:"bindPort"`
	CertSANs         []string          `json:"certSANs"`
	ExtraArgs        map[string]string `json:"extraArgs"`
	EncryptionAtRest *EncryptionAtRest `json:"encryptionAtRest,omitempty"`
	Audit            *Audit            `json:"audit,omitempty"`
	Admission        *Admission        `json:"admission,omitempty"`
	Authentication   *Authentication   `json:"authentication,omitempty"`
}

type Admission struct {
	PodSecurity    *PodSecurity    `json:"podSecurity,omitempty"`
	EventRateLimit *EventRateLimit `json:"eventRateLimit,omitempty"`
}

type PodSecurity struct {
	Enforce    *PodSecurityMode      `json:"enforce,omitempty"`
	Audit      *PodSecurityMode      `json:"audit,omitempty"`
	Warn       *PodSecurityMode      `json:"warn,omitempty"`
	Exemptions PodSecurityExemptions `json:"exemptions"`
}

type PodSecurityMode struct {
	Level   string `json:"level"`
	Version string `json:"version"`
}

type PodSecurityExemptions struct {
	Usernames      []string `json:"usernames"`
	RuntimeClasses []string `json:"runtimeClasses"`
	Namespaces     []string `json:"namespaces"`
}

type EventRateLimit struct {
	Limits []EventLimit `json:"limits"`
}

type EventLimit struct {
	Type      string `json:"type"`
	QPS       int    `json:"qps"`
	Burst     int    `json:"burst"`
	CacheSize int    `json:"cacheSize,omitempty"`
}

// Authentication mirrors apiserver.config.k8s.io's AuthenticationConfiguration field by field
// (the compiler re-decodes it as that type), except that issuer.certificateAuthority may name
// a file.
type Authentication struct {
	JWT       []JWTAuthenticator `json:"jwt,omitempty"`
	Anonymous *AnonymousAuth     `json:"anonymous,omitempty"`
}

// AnonymousAuth is whether the apiserver accepts anonymous requests, and to which paths.
type AnonymousAuth struct {
	Enabled    bool                 `json:"enabled"`
	Conditions []AnonymousCondition `json:"conditions,omitempty"`
}

type AnonymousCondition struct {
	Path string `json:"path"`
}

type JWTAuthenticator struct {
	Issuer               Issuer                `json:"issuer"`
	ClaimValidationRules []ClaimValidationRule `json:"claimValidationRules,omitempty"`
	ClaimMappings        ClaimMappings         `json:"claimMappings"`
	UserValidationRules  []UserValidationRule  `json:"userValidationRules,omitempty"`
}

type Issuer struct {
	URL                  string   `json:"url"`
	Audiences            []string `json:"audiences"`
	AudienceMatchPolicy  string   `json:"audienceMatchPolicy,omitempty"`
	CertificateAuthority string   `json:"certificateAuthority,omitempty"`
}

type ClaimValidationRule struct {
	Claim         string `json:"claim,omitempty"`
	RequiredValue string `json:"requiredValue,omitempty"`
	Expression    string `json:"expression,omitempty"`
	Message       string `json:"message,omitempty"`
}

type ClaimMappings struct {
	Username PrefixedClaimOrExpression  `json:"username"`
	Groups   *PrefixedClaimOrExpression `json:"groups,omitempty"`
	UID      *ClaimOrExpression         `json:"uid,omitempty"`
	Extra    []ExtraMapping             `json:"extra,omitempty"`
}

// PrefixedClaimOrExpression is a claim with a prefix, or a CEL expression.
type PrefixedClaimOrExpression struct {
	Claim      string  `json:"claim,omitempty"`
	Prefix     *string `json:"prefix,omitempty"`
	Expression string  `json:"expression,omitempty"`
}

// ClaimOrExpression is a claim or a CEL expression.
type ClaimOrExpression struct {
	Claim      string `json:"claim,omitempty"`
	Expression string `json:"expression,omitempty"`
}

type ExtraMapping struct {
	Key             string `json:"key"`
	ValueExpression string `json:"valueExpression"`
}

type UserValidationRule struct {
	Expression string `json:"expression"`
	Message    string `json:"message,omitempty"`
}

type EncryptionAtRest struct {
	Provider  string          `json:"provider"`
	Resources []string        `json:"resources"`
	Keys      []EncryptionKey `json:"keys"`
}

type EncryptionKey struct {
	Name     string `json:"name"`
	Provider string `json:"provider,omitempty"`
}

type Audit struct {
	// Policy is a file path (string) or an inline audit Policy (map[string]any).
	Policy    any `json:"policy,omitempty"`
	MaxAge    int `json:"maxAge"`
	MaxBackup int `json:"maxBackup"`
	MaxSize   int `json:"maxSize"`
}

type Component struct {
	ExtraArgs map[string]string `json:"extraArgs"`
}

type Networking struct {
	PodSubnets       []string         `json:"podSubnets"`
	ServiceSubnets   []string         `json:"serviceSubnets"`
	DNSDomain        string           `json:"dnsDomain"`
	NodeCIDRMaskSize NodeCIDRMaskSize `json:"nodeCIDRMaskSize"`
	NodePortRange    string           `json:"nodePortRange"`
}

type NodeCIDRMaskSize struct {
	IPv4 int `json:"ipv4"`
	IPv6 int `json:"ipv6"`
}

type Etcd struct {
	Topology  string            `json:"topology"`
	DataDir   string            `json:"dataDir"`
	ExtraArgs map[string]string `json:"extraArgs"`
	External  *ExternalEtcd     `json:"external,omitempty"`
}

type ExternalEtcd struct {
	Endpoints []string `json:"endpoints"`
	CAFile    string   `json:"caFile"`
	CertFile  string   `json:"certFile"`
	KeyFile   string   `json:"keyFile"`
}

type ContainerRuntime struct {
	Kind         string `json:"kind"`
	CRISocket    string `json:"criSocket"`
	CgroupDriver string `json:"cgroupDriver"`

	// The runtime's own configuration (types_runtime.go).
	Containerd      Containerd       `json:"containerd"`
	RegistryMirrors map[string][]any `json:"registryMirrors"`
}

// Kubelet mirrors #KubeletFields: every field optional, so that an override says only what it
// changes. At cluster level the schema fills the defaults in.
type Kubelet struct {
	MaxPods                *int              `json:"maxPods,omitempty"`
	CgroupDriver           *string           `json:"cgroupDriver,omitempty"`
	SystemReserved         map[string]string `json:"systemReserved,omitempty"`
	KubeReserved           map[string]string `json:"kubeReserved,omitempty"`
	EvictionHard           map[string]string `json:"evictionHard,omitempty"`
	EnforceNodeAllocatable []string          `json:"enforceNodeAllocatable,omitempty"`
	SystemReservedCgroup   *string           `json:"systemReservedCgroup,omitempty"`
	KubeReservedCgroup     *string           `json:"kubeReservedCgroup,omitempty"`
	ResolvConf             *string           `json:"resolvConf,omitempty"`
	FailSwapOn             *bool             `json:"failSwapOn,omitempty"`
	SwapBehavior           *string           `json:"swapBehavior,omitempty"`
	ImageGC                *ImageGC          `json:"imageGC,omitempty"`
	ReadOnlyPort           *int              `json:"readOnlyPort,omitempty"`
	AnonymousAuth          *bool             `json:"anonymousAuth,omitempty"`
	WebhookAuthentication  *bool             `json:"webhookAuthentication,omitempty"`
	AuthorizationMode      *string           `json:"authorizationMode,omitempty"`
	ClientCAFile           *string           `json:"clientCAFile,omitempty"`
	RotateCertificates     *bool             `json:"rotateCertificates,omitempty"`
	FeatureGates           map[string]bool   `json:"featureGates,omitempty"`
	ExtraArgs              map[string]string `json:"extraArgs,omitempty"`

	ImageCredentialProviders      []CredentialProvider `json:"imageCredentialProviders,omitempty"`
	ImageCredentialProviderBinDir *string              `json:"imageCredentialProviderBinDir,omitempty"`
}

// CredentialProvider mirrors #CredentialProvider.
type CredentialProvider struct {
	Name                 string            `json:"name"`
	MatchImages          []string          `json:"matchImages"`
	DefaultCacheDuration string            `json:"defaultCacheDuration"`
	APIVersion           string            `json:"apiVersion,omitempty"`
	Args                 []string          `json:"args,omitempty"`
	Env                  map[string]string `json:"env,omitempty"`
}

type ImageGC struct {
	HighThresholdPercent *int    `json:"highThresholdPercent,omitempty"`
	LowThresholdPercent  *int    `json:"lowThresholdPercent,omitempty"`
	MinimumAge           *string `json:"minimumAge,omitempty"`
}

type PKI struct {
	KeyAlgorithm string `json:"keyAlgorithm"`
	CAValidity   string `json:"caValidity"`
	CertValidity string `json:"certValidity"`
}

type Proxy struct {
	HTTP    string   `json:"http,omitempty"`
	HTTPS   string   `json:"https,omitempty"`
	NoProxy []string `json:"noProxy"`
}

type Firewall struct {
	Enabled    bool        `json:"enabled"`
	Zone       string      `json:"zone"`
	ExtraPorts []ExtraPort `json:"extraPorts"`
}

type ExtraPort struct {
	// Port is a number or a "from-to" range.
	Port     any      `json:"port"`
	Protocol string   `json:"protocol"`
	Roles    []string `json:"roles"`
}

type Addons struct {
	KubeProxy KubeProxyAddon `json:"kubeProxy"`
	CoreDNS   CoreDNSAddon   `json:"coreDNS"`
}

type KubeProxyAddon struct {
	Enabled bool   `json:"enabled"`
	Mode    string `json:"mode"`
}

type CoreDNSAddon struct {
	Enabled bool `json:"enabled"`
}

// HostSettings mirrors #HostSettings.
type HostSettings struct {
	Labels  map[string]string `json:"labels"`
	Taints  []Taint           `json:"taints,omitempty"`
	OS      string            `json:"os,omitempty"`
	Kubelet Kubelet           `json:"kubelet"`

	ContainerRuntime *RuntimeOverrides `json:"containerRuntime,omitempty"`
}

// GroupSettings mirrors a group: #HostSettings and the group's Kubernetes version.
type GroupSettings struct {
	HostSettings
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
}

type Host struct {
	Name              string            `json:"name"`
	NodeName          string            `json:"nodeName,omitempty"`
	Addresses         []string          `json:"addresses"`
	Roles             []string          `json:"roles"`
	Group             string            `json:"group,omitempty"`
	KubernetesVersion string            `json:"kubernetesVersion,omitempty"`
	Labels            map[string]string `json:"labels"`
	Taints            []Taint           `json:"taints,omitempty"`
	OS                string            `json:"os,omitempty"`
	Kubelet           Kubelet           `json:"kubelet"`

	ContainerRuntime *RuntimeOverrides `json:"containerRuntime,omitempty"`
}

type Taint struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect"`
}
