package staticpod

import (
	"fmt"

	"kubeforge.dev/kubeforge/compiler"
)

// minorFacts are the manifest details of the cluster's row of the version table
// (compiler.Release), as the pod builders take them.
type minorFacts struct {
	// flexVolumeMount: the controller-manager mounts the flexvolume plugin directory.
	flexVolumeMount bool
}

// factsFor returns the manifest details of c's minor; a cluster whose Release is not the row
// of its version (built by hand) is an error rather than a guess.
func factsFor(c *compiler.Cluster) (minorFacts, error) {
	if c.Release.Minor != c.Version.Minor {
		return minorFacts{}, fmt.Errorf("static pods: no version table row for Kubernetes %s", c.Version.MinorString())
	}
	return minorFacts{flexVolumeMount: c.Release.FlexVolumeMount}, nil
}
