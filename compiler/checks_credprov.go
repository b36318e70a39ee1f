package compiler

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"kubeforge.dev/kubeforge/compiler/description"
	"kubeforge.dev/kubeforge/compiler/diag"
)

// secretEnvWords are parts of environment variable names that usually hold a secret.
var secretEnvWords = []string{"SECRET", "PASSWORD", "PASSWD", "TOKEN"}

// credentialProviders checks the image credential providers: each list written once, and per
// host what the providers need of the host's other settings.
func (k *checker) credentialProviders() {
	seen := map[string]bool{}
	done := map[string]bool{} // paths reported, for what many hosts share
	for _, kl := range append([]Kubelet{k.c.Kubelet}, hostsKubelets(k.c)...) {
		if origin, ok := kl.Origin["imageCredentialProviders"]; ok && !seen[origin] {
			seen[origin] = true
			k.providerList(origin, kl.ImageCredentialProviders)
		}
	}
	for _, h := range k.c.Hosts {
		if len(h.Kubelet.ImageCredentialProviders) == 0 {
			continue
		}
		for _, flag := range []string{CredentialProviderConfigFlag, CredentialProviderBinDirFlag} {
			path, ok := h.Kubelet.Origin[argField(flag)]
			if !ok || done[path] {
				continue
			}
			done[path] = true
			k.errorf(diag.CodeProviderFlagInExtraArgs, path, fmt.Sprintf("kubeforge passes --%s itself to hosts with imageCredentialProviders (%s here); the extra arg would replace it and the providers would not be used. Remove the flag, or the providers", flag, h.Kubelet.Origin["imageCredentialProviders"]),
				"--%s conflicts with the image credential providers of host %s", flag, h.Name)
		}
		binDir := h.Kubelet.ImageCredentialProviderBinDir
		if h.OS == OSFlatcar && (binDir == "/usr" || strings.HasPrefix(binDir, "/usr/")) {
			path := h.Kubelet.Origin["imageCredentialProviderBinDir"]
			if done[path+" "+h.OSOrigin] {
				continue
			}
			done[path+" "+h.OSOrigin] = true
			k.diags = append(k.diags, reported(k.loc, diag.CodeProviderBinDirReadOnly, diag.Warning, path, k.firstWritten(path, h.OSOrigin),
				"Flatcar mounts /usr read-only, so the providers cannot be installed there and the kubelet refuses to start without them; set imageCredentialProviderBinDir to a directory under /opt, such as /opt/libexec/kubernetes/kubelet-plugins/credential-provider/exec",
				"the credential providers' directory %s is read-only on Flatcar (host %s)", binDir, h.Name))
		}
	}
}

func hostsKubelets(c *Cluster) []Kubelet {
	out := make([]Kubelet, len(c.Hosts))
	for i, h := range c.Hosts {
		out[i] = h.Kubelet
	}
	return out
}

// providerList checks one list of providers, written at origin.
func (k *checker) providerList(origin string, ps []CredentialProvider) {
	list, _ := description.ParsePath(origin) // Origin holds FieldPath's paths
	names := map[string]int{}
	for i, p := range ps {
		at := func(field ...any) string { return FieldPath(slices.Concat([]any{list, i}, field)...) }
		if prev, ok := names[p.Name]; ok {
			k.errorf(diag.CodeProviderNamedTwice, at("name"), fmt.Sprintf("the kubelet refuses a configuration that names a provider twice (first at %s); give one provider all the images it serves", FieldPath(list, prev)),
				"image credential provider %s named twice", p.Name)
		} else {
			names[p.Name] = i
		}
		if _, err := time.ParseDuration(p.DefaultCacheDuration); err != nil {
			k.errorf(diag.CodeProviderCacheDuration, at("defaultCacheDuration"), "a duration holds at most about 290 years (2562047h)", "defaultCacheDuration %q is out of range", p.DefaultCacheDuration)
		}
		for j, m := range p.MatchImages {
			host, _, _ := strings.Cut(m, "/")
			if _, port, ok := strings.Cut(host, ":"); ok && !validPort(port) {
				k.errorf(diag.CodeMatchImagePort, at("matchImages", j), "expected a port from 1 to 65535", "matchImages pattern %q has an invalid port", m)
			}
		}
		for _, name := range sortedEnvNames(p.Env) {
			if secretLooking(name, p.Env[name]) {
				k.warnf(diag.CodeProviderEnvSecret, at("env", Key(name)), fmt.Sprintf("%s is world-readable on every host and kept in bundles and golden trees; give the secret to the provider in a root-only file it reads, and name the file here", CredentialProviderConfigPath),
					"environment variable %s of provider %s looks like a secret", name, p.Name)
			}
		}
	}
}

func sortedEnvNames(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for n := range env {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// secretLooking reports whether an environment variable seems to hold a secret: its name says
// so, and its value is not a path.
func secretLooking(name, value string) bool {
	upper := strings.ToUpper(name)
	named := strings.HasSuffix(upper, "_KEY") || slices.ContainsFunc(secretEnvWords, func(w string) bool { return strings.Contains(upper, w) })
	return named && value != "" && !strings.HasPrefix(value, "/")
}
