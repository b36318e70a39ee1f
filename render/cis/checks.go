package cis

import (
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"kubeforge.dev/kubeforge/render/artifact"
)

// The check builders: each returns a control's Check for one kind of fact, so the tables read
// as data.

// filesOf picks the artifacts a file control judges on a host.
type filesOf func(*host) []artifact.Artifact

// file picks one file by path, when the host has it.
func file(p string) filesOf {
	return func(h *host) []artifact.Artifact {
		if a, ok := h.files[p]; ok {
			return []artifact.Artifact{a}
		}
		return nil
	}
}

// filesUnder picks a directory and what is under it whose name ends with suffix ("" for all,
// the directory included).
func filesUnder(dir, suffix string) filesOf {
	return func(h *host) []artifact.Artifact {
		var out []artifact.Artifact
		for p, a := range h.files {
			inside := strings.HasPrefix(p, dir+"/") || (p == dir && suffix == "")
			if inside && strings.HasSuffix(p, suffix) && (suffix == "" || !a.IsDir()) {
				out = append(out, a)
			}
		}
		slices.SortFunc(out, func(a, b artifact.Artifact) int { return strings.Compare(a.Path, b.Path) })
		return out
	}
}

// unitFiles picks the kubelet's unit file and its drop-ins.
func unitFiles(h *host) []artifact.Artifact {
	var out []artifact.Artifact
	for _, a := range h.files {
		if a.Unit == "kubelet.service" && !a.IsDir() {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b artifact.Artifact) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// modeAtMost passes when every picked file has no permission bit beyond max (kube-bench's
// bitmask comparison); required says a missing file fails rather than passes.
func modeAtMost(pick filesOf, max fs.FileMode, required bool) func(*host) verdict {
	return func(h *host) verdict {
		files := pick(h)
		if len(files) == 0 && required {
			return failed("the file is not in the bundle")
		}
		for _, a := range files {
			if perm := a.Mode.Perm(); perm&^max != 0 {
				return failed("%s is %04o, more than %04o", a.Path, perm, max)
			}
		}
		return passed()
	}
}

// ownedBy passes when every picked file belongs to uid:gid.
func ownedBy(pick filesOf, uid, gid int) func(*host) verdict {
	return func(h *host) verdict {
		for _, a := range pick(h) {
			if a.UID != uid || a.GID != gid {
				return failed("%s is owned by %s, not %d:%d", a.Path, owner(a), uid, gid)
			}
		}
		return passed()
	}
}

// rootOwned passes when every picked file belongs to root:root.
func rootOwned(pick filesOf) func(*host) verdict { return ownedBy(pick, 0, 0) }

// argIs passes when a component's flag is want, or unset with a default of want (dflt is ""
// when the component's default is not want).
func argIs(t Target, flag, want, dflt string) func(*host) verdict {
	return func(h *host) verdict {
		v, ok := h.arg(t, flag)
		switch {
		case ok && strings.EqualFold(v, want):
			return passed()
		case ok:
			return failed("%s: --%s=%s, not %s", manifestPath(t), flag, v, want)
		case dflt == want:
			return passed()
		}
		return failed("%s: --%s is not set (default %s), not %s", manifestPath(t), flag, dflt, want)
	}
}

// argsSet passes when each flag is set to a non-empty value.
func argsSet(t Target, flags ...string) func(*host) verdict {
	return func(h *host) verdict {
		for _, f := range flags {
			if v, ok := h.arg(t, f); !ok || v == "" {
				return failed("%s: --%s is not set", manifestPath(t), f)
			}
		}
		return passed()
	}
}

// argUnset passes when the flag is absent.
func argUnset(t Target, flag string) func(*host) verdict {
	return func(h *host) verdict {
		if v, ok := h.arg(t, flag); ok {
			return failed("%s: --%s=%s is set", manifestPath(t), flag, v)
		}
		return passed()
	}
}

// argNot passes when the flag is absent or not bad (a boolean flag that must not be true).
func argNot(t Target, flag, bad string) func(*host) verdict {
	return func(h *host) verdict {
		if v, ok := h.arg(t, flag); ok && strings.EqualFold(v, bad) {
			return failed("%s: --%s=%s", manifestPath(t), flag, v)
		}
		return passed()
	}
}

// listHas passes when a comma-separated flag holds elem.
func listHas(t Target, flag, elem string) func(*host) verdict {
	return func(h *host) verdict {
		if l := h.argList(t, flag); !slices.Contains(l, elem) {
			return failed("%s: --%s=%s does not include %s", manifestPath(t), flag, strings.Join(l, ","), elem)
		}
		return passed()
	}
}

// listLacks passes when a comma-separated flag does not hold elem.
func listLacks(t Target, flag, elem string) func(*host) verdict {
	return func(h *host) verdict {
		if l := h.argList(t, flag); slices.Contains(l, elem) {
			return failed("%s: --%s=%s includes %s", manifestPath(t), flag, strings.Join(l, ","), elem)
		}
		return passed()
	}
}

// argAtLeast passes when an integer flag is set to at least min.
func argAtLeast(t Target, flag string, min int) func(*host) verdict {
	return func(h *host) verdict {
		v, ok := h.arg(t, flag)
		if !ok {
			return failed("%s: --%s is not set", manifestPath(t), flag)
		}
		if n, err := strconv.Atoi(v); err != nil || n < min {
			return failed("%s: --%s=%s, less than %d", manifestPath(t), flag, v, min)
		}
		return passed()
	}
}

// gateNotOff passes when a feature gate is not switched off in the flag.
func gateNotOff(t Target, gate string) func(*host) verdict {
	return func(h *host) verdict {
		if gateOff(h.argList(t, "feature-gates"), gate) {
			return failed("%s: --feature-gates turns %s off", manifestPath(t), gate)
		}
		return passed()
	}
}

// gateOff reports whether a --feature-gates list (Name=bool,...) switches gate off.
func gateOff(gates []string, gate string) bool {
	for _, g := range gates {
		if name, v, _ := strings.Cut(g, "="); name == gate && strings.EqualFold(v, "false") {
			return true
		}
	}
	return false
}

// within passes when a list is non-empty and every element is allowed.
func within(what string, got, allowed []string) verdict {
	if len(got) == 0 {
		return failed("%s is not set (the Go defaults are used)", what)
	}
	for _, g := range got {
		if !slices.Contains(allowed, g) {
			return failed("%s includes %s, not a strong cipher", what, g)
		}
	}
	return passed()
}

// all passes when every check passes, else returns the first other verdict.
func all(checks ...func(*host) verdict) func(*host) verdict {
	return func(h *host) verdict {
		for _, c := range checks {
			if v := c(h); v.status != Pass {
				return v
			}
		}
		return passed()
	}
}

// strongCiphers are the TLS cipher suites CIS 1.2.29 accepts for the apiserver.
var strongCiphers = strings.Split("TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256,"+
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,"+
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,"+
	"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,"+
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", ",")

// strongKubeletCiphers are the TLS cipher suites CIS 4.2.12 accepts for the kubelet.
var strongKubeletCiphers = strings.Split("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,"+
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,"+
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_128_GCM_SHA256", ",")
