// Package hostconfig renders the kernel settings every Kubernetes node needs: sysctls and
// the modules loaded at boot.
package hostconfig

import (
	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// Artifacts returns the host's sysctl.d and modules-load.d files. Every host gets the same
// settings today; h is taken so per-host settings need no API change.
func Artifacts(c *compiler.Cluster, h *compiler.Host) []artifact.Artifact {
	return []artifact.Artifact{sysctlFile(c), modulesFile()}
}
