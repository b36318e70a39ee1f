package compiler

import (
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	psaapi "k8s.io/pod-security-admission/admission/api"
	psascheme "k8s.io/pod-security-admission/admission/api/scheme"
	psavalidation "k8s.io/pod-security-admission/admission/api/validation"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// Flags that apiServer.admission and apiServer.authentication set.
var (
	admissionFlags      = []string{"admission-control-config-file"}
	authenticationFlags = []string{"authentication-config"}
)

// admissionAuthn checks apiServer.admission with the validation of each plugin's own
// configuration, and both fields against the apiserver's extra args. The authentication
// configuration is validated when it is loaded (readAuthentication): it needs the CA files.
func (k *checker) admissionAuthn() {
	a := k.c.APIServer
	if adm := a.Admission; adm != nil {
		k.fieldSetFlags(diag.CodeAdmissionAuthnFlag, admissionFlags, "apiServer.admission")
		if adm.PodSecurity != nil {
			k.podSecurity()
		}
		if adm.EventRateLimit != nil {
			k.eventRateLimit()
		}
		disabled := strings.Split(a.ExtraArgs["disable-admission-plugins"], ",")
		for _, p := range []struct {
			name string
			on   bool
		}{{PluginPodSecurity, adm.PodSecurity != nil}, {PluginEventRateLimit, adm.EventRateLimit != nil}} {
			if p.on && slices.Contains(disabled, p.name) {
				k.errorf(diag.CodeAdmissionPluginDisabled, FieldPath("apiServer", "extraArgs", Key("disable-admission-plugins")),
					"remove it from the list, or remove its configuration from apiServer.admission",
					"%s is disabled, but apiServer.admission configures it", p.name)
			}
		}
	}
	if a.Authentication == nil {
		return
	}
	k.fieldSetFlags(diag.CodeAdmissionAuthnFlag, authenticationFlags, "apiServer.authentication")
	for _, flag := range slices.Sorted(maps.Keys(a.ExtraArgs)) {
		if strings.HasPrefix(flag, "oidc-") {
			k.errorf(diag.CodeOIDCFlagsWithJWT, FieldPath("apiServer", "extraArgs", Key(flag)),
				"the apiserver refuses --authentication-config together with --oidc-* flags; write the issuer as an apiServer.authentication.jwt entry",
				"--%s together with apiServer.authentication", flag)
		}
	}
	if _, ok := a.ExtraArgs["anonymous-auth"]; ok && a.Authentication.desc.Anonymous != nil {
		k.errorf(diag.CodeAnonymousFlagWithConfig, FieldPath("apiServer", "extraArgs", Key("anonymous-auth")),
			"the apiserver refuses --anonymous-auth when its AuthenticationConfiguration configures anonymous; remove the extra arg",
			"--anonymous-auth together with apiServer.authentication.anonymous")
	}
}

// podSecurity validates the PodSecurityConfiguration as the plugin does when the apiserver
// starts (defaulted, converted, validated with the plugin's own code), and warns when a
// refusing enforce level does not exempt kube-system.
func (k *checker) podSecurity() {
	cfg := k.c.APIServer.Admission.PodSecurity
	base := FieldPath("apiServer", "admission", "podSecurity")
	versioned := cfg.DeepCopy()
	psascheme.Scheme.Default(versioned)
	var internal psaapi.PodSecurityConfiguration
	errs := field.ErrorList{}
	if err := psascheme.Scheme.Convert(versioned, &internal, nil); err != nil {
		errs = append(errs, field.InternalError(nil, err))
	} else {
		errs = psavalidation.ValidatePodSecurityConfiguration(&internal)
	}
	for _, e := range errs {
		k.errorf(diag.CodeAdmissionInvalid, base+podSecurityField(e.Field),
			"the PodSecurity admission plugin refuses this configuration, and the apiserver does not start", "%s", fieldProblem(e))
	}
	if slices.Contains(restrictiveLevels, cfg.Defaults.Enforce) && !slices.Contains(cfg.Exemptions.Namespaces, "kube-system") {
		at := base + ".enforce.level"
		if k.loc.Written(base + ".exemptions.namespaces") {
			at = base + ".exemptions.namespaces"
		}
		k.warnf(diag.CodePodSecurityKubeSystem, at,
			"kube-proxy runs privileged on the host network in kube-system: its pods would be refused. Add kube-system to exemptions.namespaces (the default when namespaces is left out), or label kube-system pod-security.kubernetes.io/enforce=privileged yourself",
			"Pod Security enforces %s and kube-system is not exempt", cfg.Defaults.Enforce)
	}
}

// podSecurityField returns the description's path of a PodSecurityConfiguration field path:
// defaults.enforce is enforce.level, defaults.enforce-version enforce.version.
func podSecurityField(p string) string {
	if mode, ok := strings.CutPrefix(p, "defaults."); ok {
		if m, ok := strings.CutSuffix(mode, "-version"); ok {
			return "." + m + ".version"
		}
		return "." + mode + ".level"
	}
	if p == "" || p == "<nil>" {
		return ""
	}
	return "." + p
}

// eventRateLimit refuses a type given two limits, which would make two buckets of one kind.
// What the plugin's ValidateConfiguration checks besides (the types, positive qps and burst)
// the schema refuses before.
func (k *checker) eventRateLimit() {
	seen := map[string]bool{}
	for i, l := range k.c.APIServer.Admission.EventRateLimit.Limits {
		if seen[l.Type] {
			k.errorf(diag.CodeAdmissionInvalid, FieldPath("apiServer", "admission", "eventRateLimit", "limits", i, "type"),
				"each limit is a token bucket of one type: Server, Namespace, User or SourceAndObject", "type %s has a limit already", l.Type)
		}
		seen[l.Type] = true
	}
}
