package cloudinit

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"kubeforge.dev/kubeforge/render/artifact"
)

// Limit is a user-data size limit some platforms impose.
type Limit struct {
	Bytes int
	// Where names platforms with this limit.
	Where string
}

// DefaultLimits are the common user-data limits.
var DefaultLimits = []Limit{
	{Bytes: 16 << 10, Where: "Amazon EC2"},
	{Bytes: 64 << 10, Where: "OpenStack Nova and Azure custom data"},
}

// biggestFiles is how many files a report names.
const biggestFiles = 3

// Report describes a host's user-data.
type Report struct {
	Host string
	// Size is the user-data's length in bytes.
	Size int
	// Biggest are the files taking most room in the user-data, biggest first.
	Biggest []FileSize
	// Secrets counts the secret files the user-data carries.
	Secrets int
	// Warnings are the limits the user-data exceeds, and that it carries secrets.
	Warnings []string
}

// FileSize is a file's room in the user-data: its encoded content.
type FileSize struct {
	Path  string
	Bytes int
}

// String returns a one-line summary, then the warnings, each on its own line.
func (r Report) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "%s: user-data %s", r.Host, kib(r.Size))
	for _, w := range r.Warnings {
		s.WriteString("\n  warning: " + w)
	}
	return s.String()
}

func report(host string, size int, entries []writeFile, files []artifact.Artifact, limits []Limit) Report {
	r := Report{Host: host, Size: size}
	for _, e := range entries {
		r.Biggest = append(r.Biggest, FileSize{Path: e.Path, Bytes: len(e.Content)})
	}
	slices.SortStableFunc(r.Biggest, func(x, y FileSize) int { return cmp.Compare(y.Bytes, x.Bytes) })
	r.Biggest = r.Biggest[:min(len(r.Biggest), biggestFiles)]
	names := make([]string, len(r.Biggest))
	for i, f := range r.Biggest {
		names[i] = fmt.Sprintf("%s (%s)", f.Path, kib(f.Bytes))
	}
	for _, l := range limits {
		if size > l.Bytes {
			r.Warnings = append(r.Warnings, fmt.Sprintf("user-data is %s, over the %s limit of %s; biggest files: %s",
				kib(size), kib(l.Bytes), l.Where, strings.Join(names, ", ")))
		}
	}
	for _, f := range files {
		if f.Secret {
			r.Secrets++
		}
	}
	if r.Secrets > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf(
			"user-data carries %d secret files (keys, kubeconfigs): anything on the instance that can read its metadata service can read them", r.Secrets))
	}
	return r
}

// kib returns a size for people: bytes below 1 KiB, else KiB with one decimal.
func kib(n int) string {
	if n < 1<<10 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
}
