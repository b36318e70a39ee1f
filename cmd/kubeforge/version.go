package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/schema"
)

// Stamped by the Makefile: -ldflags "-X main.version=$(git describe --tags --always --dirty)
// -X main.commit=$(git rev-parse HEAD)". `go install` fills them from the build info instead.
var (
	version = ""
	commit  = ""
)

// VersionInfo is what kubeforge version prints.
type VersionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	GoVersion string `json:"goVersion"`
	// APIVersion is the apiVersion of the descriptions this kubeforge reads.
	APIVersion string `json:"apiVersion"`
	// Kubernetes lists the supported minors, each with the patch used when a description
	// names only the minor.
	Kubernetes []KubernetesRelease `json:"kubernetes"`
}

type KubernetesRelease struct {
	Minor       string `json:"minor"`
	LatestPatch string `json:"latestPatch"`
}

// VersionOptions are the inputs of kubeforge version.
type VersionOptions struct {
	Report ReportOptions
	Streams
}

// NewCmdVersion returns kubeforge version.
func NewCmdVersion(s Streams) *cobra.Command {
	o := &VersionOptions{Streams: s}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print kubeforge's version and the Kubernetes versions it supports",
		Example: `  kubeforge version
  kubeforge version --output json`,
		RunE: runE(o),
	}
	o.Report.addOutputFlag(cmd, outputText, outputJSON)
	return cmd
}

func (o *VersionOptions) Complete(args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

func (o *VersionOptions) Validate() error { return o.Report.Validate() }

func (o *VersionOptions) Run() error {
	info := currentVersion()
	if o.Report.Output == outputJSON {
		return writeJSON(o.Out, info)
	}
	var minors []string
	for _, k := range info.Kubernetes {
		minors = append(minors, fmt.Sprintf("%s (%s)", k.Minor, k.LatestPatch))
	}
	fmt.Fprintf(o.Out, "kubeforge %s\n", info.Version)
	if info.Commit != "" {
		fmt.Fprintf(o.Out, "commit:      %s\n", info.Commit)
	}
	fmt.Fprintf(o.Out, "go:          %s\n", info.GoVersion)
	fmt.Fprintf(o.Out, "description: %s\n", info.APIVersion)
	fmt.Fprintf(o.Out, "kubernetes:  %s\n", strings.Join(minors, ", "))
	return nil
}

// currentVersion returns the version of this binary.
func currentVersion() VersionInfo {
	info := VersionInfo{Version: version, Commit: commit, GoVersion: runtime.Version(), APIVersion: schema.APIVersion()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && info.Commit == "" {
				info.Commit = s.Value
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	for _, m := range compiler.SupportedMinors() {
		v := newestPatch(m)
		info.Kubernetes = append(info.Kubernetes, KubernetesRelease{Minor: v.MinorString(), LatestPatch: v.String()})
	}
	return info
}

// newestPatch returns the newest version kubeforge knows of a supported minor.
func newestPatch(minor int) compiler.Version {
	r, _ := compiler.ReleaseFor(minor)
	return compiler.Version{Major: 1, Minor: minor, Patch: r.LatestPatch}
}
