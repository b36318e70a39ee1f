package runtime

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/internal/unit"
)

// criDockerdCommand is the stock unit's command line (Mirantis' packages), which the drop-in
// replaces with the same plus the sandbox image.
var criDockerdCommand = []string{"/usr/bin/cri-dockerd", "--container-runtime-endpoint", "fd://"}

// criDockerdUnit is the unit the drop-in extends, named by its drop-in directory.
var criDockerdUnit = strings.TrimSuffix(path.Base(path.Dir(compiler.CRIDockerdDropInPath)), ".d")

// imageRefRE is what an image reference may hold: the unit writer would quote anything else,
// but no image is named with whitespace, quotes, backslashes or '%', so such a value is a
// mistake the schema let through and is refused rather than written.
var imageRefRE = regexp.MustCompile(`^[A-Za-z0-9._:/@\[\]-]+$`)

// criDockerdArtifacts returns the drop-in giving cri-dockerd the sandbox image, written by the
// unit writer every unit and drop-in goes through. Docker's own cgroup driver is Docker's
// configuration, which kubeforge does not write.
func criDockerdArtifacts(c *compiler.Cluster, h *compiler.Host) ([]artifact.Artifact, error) {
	img := c.HostPauseImage(h)
	if !imageRefRE.MatchString(img) {
		return nil, fmt.Errorf("sandbox image %q cannot be written on a command line", img)
	}
	var u unit.File
	u.Comment(header)
	u.Comment("The sandbox image of Kubernetes " + h.Version.MinorString() + ".")
	u.Section("Service")
	u.Set("ExecStart", "")
	u.SetExec("ExecStart", unit.Literals(slices.Concat(criDockerdCommand, []string{"--pod-infra-container-image=" + img})...)...)
	data, err := u.Bytes()
	if err != nil {
		return nil, err
	}
	return []artifact.Artifact{artifact.File(compiler.CRIDockerdDropInPath, 0o644, data, sandboxSources(h)...).OfUnit(criDockerdUnit)}, nil
}
