package apiserversec

import (
	"strconv"

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

// Flags returns the apiserver flags that apiServer.encryptionAtRest and apiServer.audit set.
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
	return out
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
	return out
}
