package main

import (
	"github.com/spf13/cobra"

	"kubeforge.dev/kubeforge/schema"
)

// Values of schema --format.
const (
	schemaCUE        = "cue"
	schemaJSONSchema = "jsonschema"
)

// SchemaOptions are the inputs of kubeforge schema.
type SchemaOptions struct {
	Format string
	Streams
}

// NewCmdSchema returns kubeforge schema.
func NewCmdSchema(s Streams) *cobra.Command {
	o := &SchemaOptions{Streams: s}
	cmd := &cobra.Command{
		Use:   "schema [--format cue|jsonschema]",
		Short: "Print the schema of the description (CUE, or JSON Schema for editors)",
		Long: `Print the schema a description is checked against: the CUE package kubeforge, with every
field documented, or (--format jsonschema) a draft-07 JSON Schema generated from it, for
editors' YAML and JSON language servers. The JSON Schema cannot say everything the CUE schema
and kubeforge's cross-field checks do (label keys, networks that overlap): validate remains
the judge.`,
		Example: `  kubeforge schema > cue.mod/pkg/kubeforge.dev/kubeforge/schema.cue
  kubeforge schema --format jsonschema > kubeforge.schema.json
  # then, on the first line of cluster.yaml, for the YAML language server (VS Code, Neovim):
  # yaml-language-server: $schema=kubeforge.schema.json`,
		RunE: runE(o),
	}
	cmd.Flags().StringVar(&o.Format, "format", schemaCUE, "schema language: cue or jsonschema")
	cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{schemaCUE, schemaJSONSchema}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (o *SchemaOptions) Complete(args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

func (o *SchemaOptions) Validate() error {
	if o.Format != schemaCUE && o.Format != schemaJSONSchema {
		return usagef("--format must be cue or jsonschema, not %q", o.Format)
	}
	return nil
}

func (o *SchemaOptions) Run() error {
	out := schema.Source()
	if o.Format == schemaJSONSchema {
		var err error
		if out, err = schema.JSONSchema(); err != nil {
			return failf(exitUsage, "%v", err)
		}
	}
	if _, err := o.Out.Write(out); err != nil {
		return failf(exitUsage, "%v", err)
	}
	return nil
}
