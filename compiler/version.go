package compiler

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a Kubernetes version.
type Version struct{ Major, Minor, Patch int }

func (v Version) String() string { return fmt.Sprintf("v%d.%d.%d", v.Major, v.Minor, v.Patch) }

// MinorString returns "1.37".
func (v Version) MinorString() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Release holds what depends on the Kubernetes minor: the facts kubeadm of that minor uses.
type Release struct {
	Minor int
	// LatestPatch is the patch used when the description names only the minor.
	LatestPatch int
	// EtcdImageTag, CoreDNSVersion and PauseVersion are the tags kubeadm of this minor uses.
	EtcdImageTag   string
	CoreDNSVersion string
	PauseVersion   string
}

// releases is the version table: one row per supported minor. Every version-dependent choice
// is made from a row, never from comparisons spread through the renderers.
var releases = []Release{
	{Minor: 35, LatestPatch: 6, EtcdImageTag: "3.6.6-0", CoreDNSVersion: "v1.13.1", PauseVersion: "3.10.1"},
	{Minor: 36, LatestPatch: 3, EtcdImageTag: "3.6.8-0", CoreDNSVersion: "v1.14.2", PauseVersion: "3.10.2"},
	{Minor: 37, LatestPatch: 2, EtcdImageTag: "3.7.0-0", CoreDNSVersion: "v1.14.6", PauseVersion: "3.10.2"},
}

// SupportedMinors lists the supported minors, oldest first.
func SupportedMinors() []int {
	out := make([]int, len(releases))
	for i, r := range releases {
		out[i] = r.Minor
	}
	return out
}

// ReleaseFor returns the table row for a minor.
func ReleaseFor(minor int) (Release, bool) {
	for _, r := range releases {
		if r.Minor == minor {
			return r, true
		}
	}
	return Release{}, false
}

// ParseVersion reads "1.37", "v1.37" or "v1.37.1"; without a patch, the release's latest. A
// patch beyond the newest kubeforge knows is refused: its images may not exist, and its
// component flags and defaults are not in the version table.
func ParseVersion(s string) (Version, Release, error) {
	parts := strings.Split(strings.TrimPrefix(s, "v"), ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, Release{}, fmt.Errorf("version %q: expected MAJOR.MINOR or MAJOR.MINOR.PATCH", s)
	}
	nums := make([]int, 3)
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return Version{}, Release{}, fmt.Errorf("version %q: %q is not a number", s, p)
		}
		nums[i] = n
	}
	rel, ok := ReleaseFor(nums[1])
	if nums[0] != 1 || !ok {
		return Version{}, Release{}, fmt.Errorf("Kubernetes %d.%d is not supported (supported: 1.35, 1.36, 1.37)", nums[0], nums[1])
	}
	if len(parts) == 2 {
		nums[2] = rel.LatestPatch
	}
	v := Version{Major: 1, Minor: nums[1], Patch: nums[2]}
	if v.Patch > rel.LatestPatch {
		return Version{}, Release{}, &UnknownReleaseError{Version: v, Release: rel}
	}
	return v, rel, nil
}

// Patches returns the released patches of the minor, oldest first: every patch up to the
// newest known, as Kubernetes numbers them without gaps.
func (r Release) Patches() []Version {
	out := make([]Version, 0, r.LatestPatch+1)
	for p := range r.LatestPatch + 1 {
		out = append(out, Version{Major: 1, Minor: r.Minor, Patch: p})
	}
	return out
}

// UnknownReleaseError is a patch of a supported minor that kubeforge does not know.
type UnknownReleaseError struct {
	Version Version
	Release Release
}

func (e *UnknownReleaseError) Error() string {
	return fmt.Sprintf("Kubernetes %s is not a release kubeforge knows", e.Version)
}

// Hint lists the known releases of the minor.
func (e *UnknownReleaseError) Hint() string {
	ps := e.Release.Patches()
	known := make([]string, len(ps))
	for i, p := range ps {
		known[i] = p.String()
	}
	return fmt.Sprintf("known releases of %s: %s; write %s for the newest, or upgrade kubeforge for later patches",
		e.Version.MinorString(), strings.Join(known, ", "), e.Version.MinorString())
}

// EtcdImage and the other image helpers name the images kubeadm would run.
func (c *Cluster) EtcdImage() string {
	return c.ImageRepository + "/etcd:" + c.Release.EtcdImageTag
}

// ControlPlaneImage returns the image of a control-plane component at the cluster's version.
func (c *Cluster) ControlPlaneImage(component string) string {
	return c.ImageRepository + "/" + component + ":" + c.Version.String()
}

// PauseImage returns the sandbox image of the cluster's minor.
func (c *Cluster) PauseImage() string {
	return c.ImageRepository + "/pause:" + c.Release.PauseVersion
}

// CoreDNSImage returns the CoreDNS image kubeadm of this minor deploys.
func (c *Cluster) CoreDNSImage() string {
	return c.ImageRepository + "/coredns/coredns:" + c.Release.CoreDNSVersion
}
