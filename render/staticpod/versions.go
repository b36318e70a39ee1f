package staticpod

import (
	"fmt"

	"kubeforge.dev/kubeforge/compiler"
)

// minorFacts are the manifest details of the host's row of the version table
// (compiler.Release), as the pod builders take them.
type minorFacts struct {
	// flexVolumeMount: the controller-manager mounts the flexvolume plugin directory.
	flexVolumeMount bool
}

// factsFor returns the manifest details of the host's minor; a host whose Release is not the
// row of its version (built by hand) is an error rather than a guess.
func factsFor(h *compiler.Host) (minorFacts, error) {
	if h.Release.Minor != h.Version.Minor {
		return minorFacts{}, fmt.Errorf("static pods: no version table row for Kubernetes %s", h.Version.MinorString())
	}
	return minorFacts{flexVolumeMount: h.Release.FlexVolumeMount}, nil
}
