package main

import (
	"bytes"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/description"
	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/examples"
)

// stdinArg is the FILE that reads the description from standard input.
const stdinArg = "-"

// stdinFormats are the values of --stdin-format; "" picks by content.
var stdinFormats = []string{"yaml", "json", "cue"}

// DescriptionOptions name the description a command reads: files, "-" for standard input, or
// nothing for the embedded example.
type DescriptionOptions struct {
	Files []string
	// StdinFormat is the format of a description read from standard input; empty means JSON
	// when it starts with '{' or '[', YAML otherwise.
	StdinFormat string
	// In is standard input; Notices, when set, is told that the embedded example is used.
	In      io.Reader
	Notices io.Writer
}

// AddFlags binds the flags of description input.
func (o *DescriptionOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.StdinFormat, "stdin-format", "", "format of a description read from standard input (FILE -): yaml, json or cue (default: JSON when it starts with { or [, else YAML)")
	cmd.RegisterFlagCompletionFunc("stdin-format", cobra.FixedCompletions(stdinFormats, cobra.ShellCompDirectiveNoFileComp))
}

// Validate checks the files and flags.
func (o *DescriptionOptions) Validate() error {
	if slices.Contains(o.Files, stdinArg) && len(o.Files) > 1 {
		return usagef("%q reads the whole description from standard input; it cannot be combined with files", stdinArg)
	}
	if o.StdinFormat != "" {
		if !slices.Contains(stdinFormats, o.StdinFormat) {
			return usagef("--stdin-format must be one of %v, not %q", stdinFormats, o.StdinFormat)
		}
		if !slices.Contains(o.Files, stdinArg) {
			return usagef("--stdin-format applies to a description read from standard input (FILE -)")
		}
	}
	return nil
}

// Source loads the description as written, before the compiler's checks.
func (o *DescriptionOptions) Source() (*description.Source, diag.List) {
	switch {
	case len(o.Files) == 0:
		name, data := examples.Default()
		if o.Notices != nil {
			fmt.Fprintf(o.Notices, "kubeforge: no FILE given: using the embedded example %s\n", name)
		}
		return description.LoadBytes(name, data)
	case o.Files[0] == stdinArg:
		data, err := io.ReadAll(io.LimitReader(o.In, untrusted.DescriptionLimit+1))
		if err != nil {
			return nil, stdinError("cannot read: " + err.Error())
		}
		if int64(len(data)) > untrusted.DescriptionLimit {
			return nil, stdinError(fmt.Sprintf("larger than %d MiB, the limit for a description", untrusted.DescriptionLimit>>20))
		}
		return description.LoadBytes(stdinName(o.StdinFormat, data), data)
	}
	return description.Load(o.Files...)
}

// Load loads, checks and builds the description.
func (o *DescriptionOptions) Load() (*compiler.Cluster, *description.Source, diag.List) {
	src, ds := o.Source()
	if ds.HasErrors() {
		return nil, src, ds
	}
	return compiler.FromSource(src, ds)
}

// stdinName is the name a description read from standard input carries in diagnostics; its
// extension tells the loader the format.
func stdinName(format string, data []byte) string {
	if format == "" {
		format = "yaml"
		if t := bytes.TrimSpace(data); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
			format = "json"
		}
	}
	return "stdin." + format
}

func stdinError(summary string) diag.List {
	return diag.List{{Severity: diag.Error, Pos: diag.Position{File: "stdin"}, Summary: summary, Code: diag.CodeIO}}
}

// completeDescriptionFiles completes FILE arguments with description files.
func completeDescriptionFiles(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"yaml", "yml", "json", "cue"}, cobra.ShellCompDirectiveFilterFileExt
}
