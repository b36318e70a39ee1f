package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/description"
)

// DefaultsOptions are the inputs of kubeforge defaults.
type DefaultsOptions struct {
	Description DescriptionOptions
	Report      ReportOptions
	Streams
}

// NewCmdDefaults returns kubeforge defaults.
func NewCmdDefaults(s Streams) *cobra.Command {
	o := &DefaultsOptions{Streams: s, Report: ReportOptions{Output: outputText, formats: []string{outputText}}}
	cmd := &cobra.Command{
		Use:   "defaults [FILE...]",
		Short: "Print a description with every default filled in, for review",
		Long: `Print the description as YAML with every field the schema defaults written out (like
kubeadm config print): what kubeforge will compile, to review before a change or to pin
defaults that a newer kubeforge might change. The output validates and compiles to the same
bundles as the input. Comments of the input are not kept.`,
		Example: `  kubeforge defaults cluster.yaml
  kubeforge defaults                       # the embedded example
  kubeforge init --workers 3 | kubeforge defaults -`,
		ValidArgsFunction: completeDescriptionFiles,
		RunE:              runE(o),
	}
	o.Description.AddFlags(cmd)
	return cmd
}

func (o *DefaultsOptions) Complete(args []string) error {
	o.Description.Files, o.Description.In, o.Description.Notices = args, o.In, o.ErrOut
	return nil
}

func (o *DefaultsOptions) Validate() error { return o.Description.Validate() }

// Run prints the description with its defaults; an invalid one prints its diagnostics.
func (o *DefaultsOptions) Run() error {
	src, ds := o.Description.Source()
	var c *compiler.Cluster
	if !ds.HasErrors() {
		c, _, ds = compiler.FromSource(src, ds)
	}
	o.Report.printDiagnostics(o.Streams, ds, src)
	if code := o.Report.verdict(ds); code != exitOK {
		return exitWith(code)
	}
	// The compiler accepted it, so decoding again cannot fail.
	d, ds := description.Decode(src)
	if ds.HasErrors() {
		return failf(exitUsage, "decoding: %v", ds)
	}
	doc, err := defaultsDocument(d, c)
	if err != nil {
		return failf(exitUsage, "%v", err)
	}
	enc := yaml.NewEncoder(o.Out)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return failf(exitUsage, "%v", err)
	}
	return enc.Close()
}

// defaultsDocument returns the YAML document of a decoded description.
func defaultsDocument(d *description.Cluster, c *compiler.Cluster) (*yaml.Node, error) {
	root, err := yamlValue(d)
	if err != nil {
		return nil, err
	}
	root.HeadComment = fmt.Sprintf("Cluster %s with every default filled in by `kubeforge defaults`.", c.Name)
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k, v := root.Content[i], root.Content[i+1]; k.Value == "kubernetesVersion" && v.Value != c.Version.String() {
			v.LineComment = "compiles as " + c.Version.String()
		}
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}, nil
}
