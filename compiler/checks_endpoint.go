package compiler

import (
	"fmt"
	"net/netip"
	"strings"

	"kubeforge.dev/kubeforge/compiler/diag"
)

func (k *checker) endpoint() {
	c := k.c
	if cps := c.HostsWith(RoleControlPlane); len(cps) > 1 && !c.Endpoint.Explicit {
		// The field is missing: point at the second control-plane host, which makes it needed.
		k.reportAt(diag.CodeEndpointRequired, "controlPlaneEndpoint", cps[1].Field("roles"), "with several control-plane hosts, kubelets and kubeconfigs need a load-balanced endpoint, host or host:port",
			"controlPlaneEndpoint is required with %d control-plane hosts", len(cps))
	}
	if c.Endpoint.Explicit {
		k.endpointHost(c.Endpoint.Host)
	}
	for i, san := range c.APIServer.CertSANs {
		if _, err := netip.ParseAddr(san); err == nil {
			continue
		}
		if why := dnsNameProblem(strings.TrimPrefix(san, "*.")); why != "" {
			k.errorf(diag.CodeInvalidSAN, FieldPath("apiServer", "certSANs", i), "expected a DNS name, with a wildcard allowed as the first label, or an IP address: "+why, "%q is not a valid SAN", san)
		}
	}
}

// endpointHost checks the host part of controlPlaneEndpoint: every kubeconfig and kubelet
// dials it and the apiserver certificate names it, so it must be a DNS name or an address of
// one reachable machine.
func (k *checker) endpointHost(host string) {
	const path = "controlPlaneEndpoint"
	a, err := netip.ParseAddr(host)
	if err != nil {
		if why := dnsNameProblem(host); why != "" {
			k.errorf(diag.CodeInvalidEndpointHost, path, "expected a DNS name or an IP address, with an optional :port: "+why, "endpoint host %q is neither a DNS name nor an IP address", host)
		}
		return
	}
	r, special := specialRangeOf(a)
	switch {
	case !special:
	case r.prefix.Addr().IsLoopback():
		// A node-local load balancer on every host is a known pattern; it is the operator's to
		// provide, and admin.conf then works only on the hosts.
		k.warnf(diag.CodeLoopbackEndpoint, path, "every host, and whoever uses admin.conf, must then run its own load balancer on that address", "endpoint %s is a loopback address", a)
	default:
		k.errorf(diag.CodeUnusableEndpoint, path, "the endpoint must be a unicast address of a load balancer or of the control-plane host: "+r.why, "endpoint %s cannot be dialled (%s)", a, r.name)
	}
}

// dnsNameProblem returns why s is not a DNS name a certificate can carry and a resolver can
// look up, or "".
func dnsNameProblem(s string) string {
	if why := dnsSyntaxProblem(s); why != "" {
		return why
	}
	if last := s[strings.LastIndexByte(s, '.')+1:]; strings.Trim(last, "0123456789") == "" {
		return "its last label is all digits, so it reads as a malformed IP address; top-level domains are never numeric"
	}
	return ""
}

// dnsSyntaxProblem returns why s is not written as a DNS name, or "".
func dnsSyntaxProblem(s string) string {
	switch {
	case s == "":
		return "the name is empty"
	case strings.HasSuffix(s, ".") && dnsSyntaxProblem(strings.TrimSuffix(s, ".")) == "":
		return "it ends with a dot; certificates name hosts without the root's trailing dot"
	case len(s) > 253:
		return fmt.Sprintf("it has %d characters, at most 253 are allowed", len(s))
	}
	for _, label := range strings.Split(s, ".") {
		switch {
		case label == "":
			return "it has an empty label (two dots in a row, or a leading dot)"
		case len(label) > 63:
			return fmt.Sprintf("label %q has %d characters, at most 63 are allowed", label, len(label))
		case label[0] == '-' || label[len(label)-1] == '-':
			return fmt.Sprintf("label %q starts or ends with '-'", label)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Sprintf("label %q has %q; only letters, digits and '-' are allowed", label, r)
			}
		}
	}
	return ""
}
