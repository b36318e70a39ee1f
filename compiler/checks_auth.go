package compiler

import (
	"slices"
	"strconv"
	"strings"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// setting is the effective value of a kubelet setting on a host, and the path of what decides
// it: a flag in extraArgs (the kubelet lets flags override its config file), else the field.
type setting[T any] struct {
	value T
	path  string
	flag  bool
}

// effective returns a kubelet setting of h as the kubelet will see it. A flag that does not
// parse is left to the managed-flag error (and the kubelet would not start).
func effective[T any](k *checker, h *Host, field string, fieldValue T, flag string, parse func(string) (T, error)) setting[T] {
	if v, ok := h.Kubelet.ExtraArgs[flag]; ok {
		if pv, err := parse(v); err == nil {
			return setting[T]{pv, h.Kubelet.Origin[argField(flag)], true}
		}
	}
	return setting[T]{fieldValue, k.originOf(h, field), false}
}

func asString(s string) (string, error) { return s, nil }

// kubeletAuth checks each host's effective kubelet authentication and authorization, and
// reports each problem once at the field or flag that decides it.
func (k *checker) kubeletAuth() {
	c := k.c
	reported := map[[2]string]bool{}
	once := func(path, problem string) bool {
		key := [2]string{path, problem}
		if reported[key] {
			return false
		}
		reported[key] = true
		return true
	}
	for _, h := range c.Hosts {
		kl := h.Kubelet
		webhook := effective(k, h, "webhookAuthentication", kl.WebhookAuthentication, "authentication-token-webhook", strconv.ParseBool)
		mode := effective(k, h, "authorizationMode", kl.AuthorizationMode, "authorization-mode", asString)
		if c.EtcdOnly(h) {
			// The standalone kubelet's config fixes its auth (webhooks off, AlwaysAllow, on
			// loopback); a host's own field or any flag is the user asking otherwise.
			for _, s := range []setting[bool]{webhook, {mode.value == "Webhook", mode.path, mode.flag}} {
				if s.value && (s.flag || strings.HasPrefix(s.path, "hosts[")) && once(s.path, "etcd webhook") {
					k.errorf(diag.CodeWebhookOnStandalone, s.path, "a dedicated etcd host's kubelet runs standalone, without a kubeconfig; it would fail with \"no client provided, cannot use webhook authentication\"",
						"webhook kubelet auth on dedicated etcd host %q", h.Name)
				}
			}
			continue
		}
		clientCA := effective(k, h, "clientCAFile", kl.ClientCAFile, "client-ca-file", asString)
		if clientCA.value == "" && (webhook.value || mode.value == "Webhook") && once(clientCA.path, "client CA") {
			k.errorf(diag.CodeWebhookWithoutClientCA, clientCA.path, "the apiserver authenticates to kubelets with a client certificate; without clientCAFile the kubelet cannot verify it and webhook authentication/authorization rejects the apiserver: logs, exec and port-forward fail",
				"webhook authentication or authorization needs a kubelet client CA")
		}
		if anon := effective(k, h, "anonymousAuth", kl.AnonymousAuth, "anonymous-auth", strconv.ParseBool); anon.value && once(anon.path, "anonymous") {
			k.warnf(diag.CodeKubeletAnonymousAuth, anon.path, "anyone reaching port 10250 is then treated as system:anonymous; kubeadm disables it", "kubelet anonymous authentication is enabled")
		}
		if mode.value == "AlwaysAllow" && once(mode.path, "always allow") {
			k.warnf(diag.CodeKubeletAlwaysAllow, mode.path, "every request to the kubelet API is allowed, including exec into pods", "kubelet authorization mode AlwaysAllow")
		}
		if ro := effective(k, h, "readOnlyPort", kl.ReadOnlyPort, "read-only-port", strconv.Atoi); ro.value != 0 && once(ro.path, "read-only") {
			k.warnf(diag.CodeKubeletReadOnlyPort, ro.path, "the read-only port serves pod and node data without authentication", "kubelet read-only port %d is open", ro.value)
		}
	}
}

// apiServerAuth warns about extra args that weaken the apiserver's and etcd's authentication
// and authorization. --profiling is left alone: its endpoints need authorization like any
// other, and kubeadm leaves it on.
func (k *checker) apiServerAuth() {
	args := k.c.APIServer.ExtraArgs
	at := func(flag string) string { return FieldPath("apiServer", "extraArgs", Key(flag)) }
	if on, err := strconv.ParseBool(args["anonymous-auth"]); err == nil && on {
		k.warnf(diag.CodeAPIServerAnonymousAuth, at("anonymous-auth"), "unauthenticated requests are then served as system:anonymous", "apiserver anonymous authentication is enabled")
	}
	if modes, ok := args["authorization-mode"]; ok {
		if slices.Contains(strings.Split(modes, ","), "AlwaysAllow") {
			k.warnf(diag.CodeAPIServerAlwaysAllow, at("authorization-mode"), "every authenticated request is allowed; kubeadm uses Node,RBAC", "apiserver authorization mode AlwaysAllow")
		}
		if !slices.Contains(strings.Split(modes, ","), "Node") {
			k.warnf(diag.CodeAPIServerWithoutNode, at("authorization-mode"), "without the Node authorizer, kubelet credentials cannot read their own pods' secrets", "apiserver authorization mode without Node")
		}
	}
	// kubeforge enables NodeRestriction, as kubeadm does; the apiserver does not by default.
	const nodeRestriction = "NodeRestriction"
	if v, ok := args["enable-admission-plugins"]; ok && !slices.Contains(strings.Split(v, ","), nodeRestriction) {
		k.warnf(diag.CodeAdmissionReplaced, at("enable-admission-plugins"), "the list replaces kubeforge's NodeRestriction: kubelets could then change other nodes and set any label on their own, including role labels", "apiserver admission without NodeRestriction")
	}
	if v, ok := args["disable-admission-plugins"]; ok && slices.Contains(strings.Split(v, ","), nodeRestriction) {
		k.warnf(diag.CodeNodeRestrictionOff, at("disable-admission-plugins"), "kubelets could then change other nodes and set any label on their own, including role labels", "apiserver admission without NodeRestriction")
	}
	for _, flag := range []string{"client-cert-auth", "peer-client-cert-auth"} {
		if on, err := strconv.ParseBool(k.c.Etcd.ExtraArgs[flag]); err == nil && !on {
			k.warnf(diag.CodeEtcdClientCertAuthOff, FieldPath("etcd", "extraArgs", Key(flag)), "etcd then serves anyone who reaches it over TLS without a client certificate: every secret of the cluster, read and write", "etcd --%s is off", flag)
		}
	}
}
