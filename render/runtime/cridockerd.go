package runtime

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// criDockerdCommand is the stock unit's command line (Mirantis' packages), which the drop-in
// replaces with the same plus the sandbox image.
const criDockerdCommand = "/usr/bin/cri-dockerd --container-runtime-endpoint fd://"

// criDockerdUnit is the unit the drop-in extends, named by its drop-in directory.
var criDockerdUnit = strings.TrimSuffix(path.Base(path.Dir(compiler.CRIDockerdDropInPath)), ".d")

// imageRefRE is what an image reference may hold on a systemd command line: no whitespace,
// quotes, backslashes or '%' (a specifier to systemd), nothing the schema let through.
var imageRefRE = regexp.MustCompile(`^[A-Za-z0-9._:/@\[\]-]+$`)

// criDockerdArtifacts returns the drop-in giving cri-dockerd the sandbox image. Docker's own
// cgroup driver is Docker's configuration, which kubeforge does not write.
func criDockerdArtifacts(c *compiler.Cluster) ([]artifact.Artifact, error) {
	img := c.PauseImage()
	if !imageRefRE.MatchString(img) {
		return nil, fmt.Errorf("sandbox image %q cannot be written on a command line", img)
	}
	text := "# " + header + "\n" +
		"# The sandbox image of Kubernetes " + c.Version.MinorString() + ".\n" +
		"[Service]\n" +
		"ExecStart=\n" +
		"ExecStart=" + criDockerdCommand + " --pod-infra-container-image=" + img + "\n"
	return []artifact.Artifact{artifact.File(compiler.CRIDockerdDropInPath, 0o644, []byte(text), sandboxSources...).OfUnit(criDockerdUnit)}, nil
}
