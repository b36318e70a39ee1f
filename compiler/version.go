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

// ParseVersion reads "1.37", "v1.37" or "v1.37.1"; without a patch, the release's latest. A
// patch beyond the newest kubeforge knows is refused: its images may not exist, and its
// component flags and defaults are not in the version table.
func ParseVersion(s string) (Version, Release, error) {
	parts := strings.Split(strings.TrimPrefix(s, "v"), ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, Release{}, fmt.Errorf("version %s: expected MAJOR.MINOR or MAJOR.MINOR.PATCH", quoteShort(s))
	}
	nums := make([]int, 3)
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return Version{}, Release{}, fmt.Errorf("version %s: %s is not a number", quoteShort(s), quoteShort(p))
		}
		nums[i] = n
	}
	rel, ok := ReleaseFor(nums[1])
	if nums[0] != 1 || !ok {
		return Version{}, Release{}, fmt.Errorf("Kubernetes %d.%d is not supported (supported: %s)", nums[0], nums[1], strings.Join(supportedMinorNames(), ", "))
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

// quoteShort quotes s, cut after 24 characters: a version is short, and an error need not
// repeat a 70 KB one.
func quoteShort(s string) string {
	if len(s) <= 24 {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%.24q...", s)
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

// supportedMinorNames returns the supported minors as written, e.g. "1.37", oldest first.
func supportedMinorNames() []string {
	out := make([]string, len(releases))
	for i, r := range releases {
		out[i] = Version{Major: 1, Minor: r.Minor}.MinorString()
	}
	return out
}
