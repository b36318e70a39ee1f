package cis

import (
	"fmt"
	"strconv"
	"strings"

	"kubeforge.dev/kubeforge/compiler"
)

// The kubelet's effective settings: a flag (kubeadm-flags.env, a drop-in) overrides
// config.yaml, and a field config.yaml leaves out has the kubelet's default.

// kubeletSetting returns a setting as text, where it comes from and whether it was written:
// the flag if given, else the config value (cfg returns "" when the field is absent).
func kubeletSetting(h *host, flag string, cfg func(*host) string) (string, string, bool) {
	if v, ok := h.kubeletArgs[flag]; ok {
		return v, "--" + flag, true
	}
	if v := cfg(h); v != "" {
		return v, compiler.KubeletConfigPath, true
	}
	return "", compiler.KubeletConfigPath, false
}

// kubeletIs passes when a setting is want, or absent with the kubelet's default want.
func kubeletIs(flag string, cfg func(*host) string, want, dflt string) func(*host) verdict {
	return func(h *host) verdict {
		v, from, ok := kubeletSetting(h, flag, cfg)
		if !ok {
			v = dflt
		}
		if !strings.EqualFold(v, want) {
			if !ok {
				return failed("%s: %s is not set (default %s), not %s", from, flag, dflt, want)
			}
			return failed("%s: %s is %s, not %s", from, flag, v, want)
		}
		return passed()
	}
}

// kubeletNot passes when a setting is not bad.
func kubeletNot(flag string, cfg func(*host) string, bad string) func(*host) verdict {
	return func(h *host) verdict {
		if v, from, ok := kubeletSetting(h, flag, cfg); ok && strings.EqualFold(v, bad) {
			return failed("%s: %s is %s", from, flag, v)
		}
		return passed()
	}
}

// kubeletSet passes when a setting is written with a non-empty value.
func kubeletSet(flag string, cfg func(*host) string) func(*host) verdict {
	return func(h *host) verdict {
		if _, from, ok := kubeletSetting(h, flag, cfg); !ok {
			return failed("%s: %s is not set", from, flag)
		}
		return passed()
	}
}

// kubeletFlagUnset passes when the kubelet is not given the flag.
func kubeletFlagUnset(flag string) func(*host) verdict {
	return func(h *host) verdict {
		if v, ok := h.kubeletArgs[flag]; ok {
			return failed("the kubelet is given --%s=%s", flag, v)
		}
		return passed()
	}
}

// The config fields the kubelet controls read, as text ("" when absent).
func anonymousAuth(h *host) string { return sprintOrEmpty(h.kubelet.Authentication.Anonymous.Enabled) }
func authzMode(h *host) string     { return string(h.kubelet.Authorization.Mode) }
func clientCAFile(h *host) string  { return h.kubelet.Authentication.X509.ClientCAFile }
func readOnlyPort(h *host) string  { return itoaOrEmpty(int64(h.kubelet.ReadOnlyPort)) }
func makeIPTablesChains(h *host) string {
	return sprintOrEmpty(h.kubelet.MakeIPTablesUtilChains)
}
func tlsCertFile(h *host) string     { return h.kubelet.TLSCertFile }
func tlsKeyFile(h *host) string      { return h.kubelet.TLSPrivateKeyFile }
func seccompDefault(h *host) string  { return sprintOrEmpty(h.kubelet.SeccompDefault) }
func tlsCipherSuites(h *host) string { return strings.Join(h.kubelet.TLSCipherSuites, ",") }
func rotateCerts(h *host) string     { return strconv.FormatBool(h.kubelet.RotateCertificates) }
func eventRecordQPS(h *host) string  { return sprintOrEmpty(h.kubelet.EventRecordQPS) }
func streamingIdleTimeout(h *host) string {
	if d := h.kubelet.StreamingConnectionIdleTimeout.Duration; d != 0 {
		return d.String()
	}
	return ""
}
func podPidsLimit(h *host) string { return sprintOrEmpty(h.kubelet.PodPidsLimit) }

// streamingTimeoutOn passes unless the idle timeout is zero, which keeps streams open forever.
func streamingTimeoutOn(h *host) verdict {
	v, from, ok := kubeletSetting(h, "streaming-connection-idle-timeout", streamingIdleTimeout)
	if ok && (v == "0" || v == "0s") {
		return failed("%s: streaming-connection-idle-timeout is %s", from, v)
	}
	return passed()
}

// podPidsLimited passes when pods get a positive PID limit.
func podPidsLimited(h *host) verdict {
	v, from, ok := kubeletSetting(h, "pod-max-pids", podPidsLimit)
	if n, err := strconv.ParseInt(v, 10, 64); !ok || err != nil || n <= 0 {
		if !ok {
			return failed("%s: podPidsLimit is not set: a pod may take every PID of the node", from)
		}
		return failed("%s: pod PID limit %s is not a positive number", from, v)
	}
	return passed()
}

// rotatesCertificates passes when the kubelet rotates its client certificate: config.yaml's
// rotateCertificates is a plain bool, so absent means false, the kubelet's default.
func rotatesCertificates(h *host) verdict {
	v, from, _ := kubeletSetting(h, "rotate-certificates", rotateCerts)
	if !strings.EqualFold(v, "true") {
		return failed("%s: rotateCertificates is %s", from, v)
	}
	return passed()
}

// serverCertRotationOn passes unless the RotateKubeletServerCertificate gate is off.
func serverCertRotationOn(h *host) verdict {
	if on, ok := h.kubelet.FeatureGates["RotateKubeletServerCertificate"]; ok && !on {
		return failed("%s: featureGates turns RotateKubeletServerCertificate off", compiler.KubeletConfigPath)
	}
	if gateOff(strings.Split(h.kubeletArgs["feature-gates"], ","), "RotateKubeletServerCertificate") {
		return failed("--feature-gates turns RotateKubeletServerCertificate off")
	}
	return passed()
}

// kubeletCiphers passes when the kubelet's cipher suites are set and strong.
func kubeletCiphers(h *host) verdict {
	v, from, _ := kubeletSetting(h, "tls-cipher-suites", tlsCipherSuites)
	var got []string
	if v != "" {
		got = strings.Split(v, ",")
	}
	return within(from+": tlsCipherSuites", got, strongKubeletCiphers)
}

// eventQPS is manual: the benchmark leaves "appropriate" to the site; the finding says what
// is set.
func eventQPS(h *host) verdict {
	v, _, ok := kubeletSetting(h, "event-qps", eventRecordQPS)
	if !ok {
		v = "the default, 50"
	}
	return manual("eventRecordQPS is %s: decide whether it captures enough events", v)
}

// kubeletClientCA picks the file the kubelet's client CA setting names.
func kubeletClientCA(h *host) []string {
	v, _, ok := kubeletSetting(h, "client-ca-file", clientCAFile)
	if !ok {
		return nil
	}
	return []string{v}
}

func sprintOrEmpty[T any](p *T) string {
	if p == nil {
		return ""
	}
	return fmt.Sprint(*p)
}

func itoaOrEmpty(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}
