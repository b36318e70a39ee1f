package apiserversec

import (
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"kubeforge.dev/kubeforge/compiler"
)

// Mount is a host directory the apiserver's pod mounts for a security file. Directories, not
// files: a file mount would keep showing a file replaced by rename.
type Mount struct {
	Name     string
	Path     string
	Type     corev1.HostPathType
	ReadOnly bool
}

// Flags returns the apiserver flags that apiServer.encryptionAtRest, audit, admission and
// authentication set.
// The static pod and kubeadm's ClusterConfiguration both take them from here, so that a
// `kubeadm upgrade` regenerating the pod from the ConfigMap keeps them.
func Flags(c *compiler.Cluster) map[string]string {
	out := map[string]string{}
	if c.APIServer.EncryptionAtRest != nil {
		out["encryption-provider-config"] = compiler.EncryptionConfigPath
	}
	if a := c.APIServer.Audit; a != nil {
		out["audit-policy-file"] = compiler.AuditPolicyPath
		out["audit-log-path"] = compiler.AuditLogPath
		out["audit-log-maxage"] = strconv.Itoa(a.MaxAge)
		out["audit-log-maxbackup"] = strconv.Itoa(a.MaxBackup)
		out["audit-log-maxsize"] = strconv.Itoa(a.MaxSize)
	}
	if a := c.APIServer.Admission; a != nil {
		out["admission-control-config-file"] = compiler.AdmissionConfigPath
		if a.EventRateLimit != nil {
			out["enable-admission-plugins"] = enabledAdmissionPlugins(c)
		}
	}
	if c.APIServer.Authentication != nil {
		out["authentication-config"] = compiler.AuthenticationConfigPath
	}
	return out
}

// DefaultAdmissionPlugins is kubeforge's --enable-admission-plugins, as kubeadm's: the
// plugins the apiserver enables beyond its defaults.
const DefaultAdmissionPlugins = "NodeRestriction"

// enabledAdmissionPlugins returns --enable-admission-plugins with EventRateLimit: the user's
// list from extraArgs, or DefaultAdmissionPlugins, and EventRateLimit at the end unless the
// list has it. The plugin is off by default and refuses to start without its configuration,
// so it is enabled exactly when apiServer.admission.eventRateLimit is set. PodSecurity is on
// by default and needs no entry.
func enabledAdmissionPlugins(c *compiler.Cluster) string {
	v, ok := c.APIServer.ExtraArgs["enable-admission-plugins"]
	if !ok {
		v = DefaultAdmissionPlugins
	}
	list := strings.Split(v, ",")
	if !slices.Contains(list, compiler.PluginEventRateLimit) {
		list = append(list, compiler.PluginEventRateLimit)
	}
	return strings.Join(list, ",")
}

// Mounts returns the directories the apiserver mounts for its security files, in order.
func Mounts(c *compiler.Cluster) []Mount {
	var out []Mount
	if c.APIServer.EncryptionAtRest != nil {
		out = append(out, Mount{"encryption-config", compiler.EncryptionConfigDir, corev1.HostPathDirectory, true})
	}
	if c.APIServer.Audit != nil {
		out = append(out,
			Mount{"audit-policy", compiler.AuditPolicyDir, corev1.HostPathDirectory, true},
			Mount{"audit-log", compiler.AuditLogDir, corev1.HostPathDirectoryOrCreate, false})
	}
	if c.APIServer.Admission != nil {
		out = append(out, Mount{"admission-config", compiler.AdmissionConfigDir, corev1.HostPathDirectory, true})
	}
	if c.APIServer.Authentication != nil {
		out = append(out, Mount{"authentication-config", compiler.AuthenticationConfigDir, corev1.HostPathDirectory, true})
	}
	return out
}
