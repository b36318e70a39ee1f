package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Command groups of the root help.
const (
	groupStart   = "start"
	groupCompile = "compile"
	groupOther   = "other"
)

// NewCmdRoot returns the kubeforge command with every subcommand.
func NewCmdRoot(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kubeforge",
		Short: "Compile a Kubernetes cluster description into per-host bundles",
		Long: `kubeforge compiles one reviewed description of a Kubernetes cluster, offline and for all
hosts in one pass, into per-host bundles of the files kubeadm would have put on each node,
plus a cluster bundle of what kubeadm creates through the API.

A command that reads a description takes FILE... (.yaml, .yml, .json, .cue, or a directory
of .cue files; several files unify into one), "-" to read one from standard input, or
nothing for the embedded example (examples/ha.yaml).`,
		Example: `  # Start a description, check it, compile it
  kubeforge init --control-planes 3 --workers 2 --endpoint lb.example.com:6443 > cluster.yaml
  kubeforge validate cluster.yaml
  kubeforge compile cluster.yaml -o out

  # In CI: annotations on the pull request, then a gate on the committed output
  kubeforge validate --output github cluster.yaml
  kubeforge diff cluster.yaml --against golden`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	cobra.EnableCommandSorting = false // the groups list commands in the order of a workflow
	cmd.SetIn(s.In)
	cmd.SetOut(s.Out)
	cmd.SetErr(s.ErrOut)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: err} })
	cmd.SetUsageTemplate(cmd.UsageTemplate() + "\n" + exitCodesHelp)
	cmd.AddGroup(
		&cobra.Group{ID: groupStart, Title: "Start here:"},
		&cobra.Group{ID: groupCompile, Title: "Check and compile:"},
		&cobra.Group{ID: groupOther, Title: "Other commands:"},
	)
	cmd.SetHelpCommand(newCmdHelp())
	cmd.SetHelpCommandGroupID(groupOther)
	cmd.SetCompletionCommandGroupID(groupOther)
	for _, c := range []struct {
		group string
		cmd   *cobra.Command
	}{
		{groupStart, NewCmdInit(s)},
		{groupStart, NewCmdDefaults(s)},
		{groupStart, NewCmdSchema(s)},
		{groupCompile, NewCmdValidate(s)},
		{groupCompile, NewCmdCompile(s)},
		{groupCompile, NewCmdDiff(s)},
		{groupCompile, NewCmdCheck(s)},
		{groupCompile, NewCmdPKI(s)},
		{groupCompile, NewCmdUpgrade(s)},
		{groupOther, NewCmdVersion(s)},
	} {
		c.cmd.GroupID = c.group
		cmd.AddCommand(c.cmd)
	}
	return cmd
}

// newCommandGroup returns a command that only groups subs (kubeforge pki, kubeforge upgrade):
// run bare or with an unknown subcommand, it names what is wrong.
func newCommandGroup(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: bareCommandArgs, RunE: bareCommand}
	cmd.AddCommand(subs...)
	return cmd
}

// bareCommandArgs lets a command that only groups others (kubeforge, kubeforge pki) reach
// bareCommand with any arguments, so that it can name what is wrong.
func bareCommandArgs(*cobra.Command, []string) error { return nil }

// bareCommand runs when a group command is given no subcommand, or an unknown one.
func bareCommand(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command %q for %q", args[0], cmd.CommandPath())
	}
	return usagef("missing command: one of %s", strings.Join(subcommandNames(cmd), ", "))
}

func subcommandNames(cmd *cobra.Command) []string {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return names
}

// newCmdHelp returns kubeforge help, which unlike cobra's own refuses a topic it does not know.
func newCmdHelp() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return usagef("unknown help topic %q", strings.Join(args, " "))
			}
			cmd.InitDefaultHelpFlag() // as running cmd --help would
			return cmd.Help()
		},
	}
}

// run runs kubeforge with the arguments and returns the exit code.
func run(args []string, s Streams) int {
	root := NewCmdRoot(s)
	if len(args) == 0 {
		// The root runs nothing itself (its help then shows no bare usage line).
		return exitCode(root, bareCommand(root, nil), s.ErrOut)
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	return exitCode(cmd, err, s.ErrOut)
}

// exitCode prints what err says and returns the exit code it calls for. Errors that are not
// the commands' own come from cobra reading the command line: usage errors.
func exitCode(cmd *cobra.Command, err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var exit *exitError
	if errors.As(err, &exit) {
		if exit.err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), exit.err)
		}
		return exit.code
	}
	fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), err)
	if strings.Contains(err.Error(), "unknown shorthand flag: 'o' in -o") {
		fmt.Fprintln(stderr, "(-o is compile's --output-dir; what a command prints is chosen with --output)")
	}
	fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	return exitUsage
}

// runOptions is what every command's options do, in order.
type runOptions interface {
	Complete(args []string) error
	Validate() error
	Run() error
}

// runE is the RunE of every command: the options do the work.
func runE(o runOptions) func(*cobra.Command, []string) error {
	return func(_ *cobra.Command, args []string) error {
		if err := o.Complete(args); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return err
		}
		return o.Run()
	}
}
