// Package hostconfig renders the kernel settings every Kubernetes node needs: sysctls and
// the modules loaded at boot.
package hostconfig

import (
	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// Files returns the host's sysctl.d and modules-load.d files, or an error naming a setting
// those formats cannot carry. Every host gets the same settings today; h is taken so per-host
// settings need no API change.
func Files(c *compiler.Cluster, h *compiler.Host) ([]artifact.Artifact, error) {
	sysctl, err := sysctlFile(c)
	if err != nil {
		return nil, err
	}
	mods, err := modulesFile(modules)
	if err != nil {
		return nil, err
	}
	return []artifact.Artifact{sysctl, mods}, nil
}
