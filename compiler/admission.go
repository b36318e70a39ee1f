package compiler

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psav1 "k8s.io/pod-security-admission/admission/api/v1"

	"kubeforge.dev/kubeforge/compiler/description"
)

// Admission is apiServer.admission: the configurations of the admission plugins it names,
// which render/apiserversec embeds in one AdmissionConfiguration.
type Admission struct {
	// PodSecurity is nil when the description leaves the apiserver's defaults (privileged,
	// nothing exempt).
	PodSecurity    *psav1.PodSecurityConfiguration
	EventRateLimit *EventRateLimitConfiguration
}

// EventRateLimitConfiguration is the Configuration of eventratelimit.admission.k8s.io/v1alpha1.
// Its Go type lives in k8s.io/kubernetes (plugin/pkg/admission/eventratelimit/apis), which is
// not a library: its go.mod replaces every staging module with v0.0.0, so no module can
// depend on it. kubeforge declares the same fields; the schema and checker.eventRateLimit
// refuse what that package's ValidateConfiguration refuses.
type EventRateLimitConfiguration struct {
	metav1.TypeMeta `json:",inline"`
	Limits          []EventLimit `json:"limits"`
}

// EventLimit is one token bucket (per server, namespace, user or source and object).
type EventLimit struct {
	Type      string `json:"type"`
	QPS       int32  `json:"qps"`
	Burst     int32  `json:"burst"`
	CacheSize int32  `json:"cacheSize,omitempty"`
}

// The EventRateLimit configuration's API version.
const eventRateLimitAPIVersion = "eventratelimit.admission.k8s.io/v1alpha1"

// The admission plugins apiServer.admission configures.
const (
	PluginPodSecurity    = "PodSecurity"
	PluginEventRateLimit = "EventRateLimit"
)

// Pod Security levels that refuse privileged pods: kube-proxy's, in kube-system.
var restrictiveLevels = []string{"baseline", "restricted"}

func admission(d *description.Admission) *Admission {
	if d == nil {
		return nil
	}
	a := &Admission{}
	if p := d.PodSecurity; p != nil {
		cfg := &psav1.PodSecurityConfiguration{
			TypeMeta: metav1.TypeMeta{APIVersion: psav1.SchemeGroupVersion.String(), Kind: "PodSecurityConfiguration"},
			Exemptions: psav1.PodSecurityExemptions{
				Usernames:      slices.Clone(p.Exemptions.Usernames),
				Namespaces:     slices.Clone(p.Exemptions.Namespaces),
				RuntimeClasses: slices.Clone(p.Exemptions.RuntimeClasses),
			},
		}
		// A mode left out is written out as the apiserver's default, so the file says
		// everything it decides.
		mode := func(m *description.PodSecurityMode, level, version *string) {
			*level, *version = "privileged", "latest"
			if m != nil {
				*level, *version = m.Level, m.Version
			}
		}
		mode(p.Enforce, &cfg.Defaults.Enforce, &cfg.Defaults.EnforceVersion)
		mode(p.Audit, &cfg.Defaults.Audit, &cfg.Defaults.AuditVersion)
		mode(p.Warn, &cfg.Defaults.Warn, &cfg.Defaults.WarnVersion)
		a.PodSecurity = cfg
	}
	if e := d.EventRateLimit; e != nil {
		cfg := &EventRateLimitConfiguration{TypeMeta: metav1.TypeMeta{APIVersion: eventRateLimitAPIVersion, Kind: "Configuration"}}
		for _, l := range e.Limits {
			// The schema bounds the numbers far below int32's range.
			cfg.Limits = append(cfg.Limits, EventLimit{Type: l.Type, QPS: int32(l.QPS), Burst: int32(l.Burst), CacheSize: int32(l.CacheSize)})
		}
		a.EventRateLimit = cfg
	}
	return a
}
