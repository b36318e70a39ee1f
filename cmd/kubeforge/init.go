package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/schema"
)

// Limits of kubeforge init's host counts; larger clusters are better written in CUE.
const (
	maxInitControlPlanes = 9
	maxInitWorkers       = 5000
)

// InitOptions are the inputs of kubeforge init.
type InitOptions struct {
	Name              string
	ControlPlanes     int
	Workers           int
	Endpoint          string
	PodSubnet         string
	Runtime           string
	KubernetesVersion string
	Streams
}

// NewCmdInit returns kubeforge init.
func NewCmdInit(s Streams) *cobra.Command {
	o := &InitOptions{Streams: s}
	cmd := &cobra.Command{
		Use:   "init [flags] > cluster.yaml",
		Short: "Print a commented starter description",
		Long: `Print a starter description (YAML, with comments) for a cluster of the given shape: it
validates as it is, and names its hosts cp1..cpN and w1..wN with placeholder addresses to
replace with your machines'. Everything else keeps kubeforge's defaults; see them with
kubeforge defaults, and every field with kubeforge schema.`,
		Example: `  kubeforge init > cluster.yaml
  kubeforge init --name prod --control-planes 3 --workers 5 --endpoint lb.prod.example.com:6443 > cluster.yaml
  kubeforge init --runtime cri-o --pod-subnet 10.32.0.0/12 --kubernetes-version 1.36`,
		RunE: runE(o),
	}
	latest := latestKubernetes()
	fs := cmd.Flags()
	fs.StringVar(&o.Name, "name", "example", "cluster name (a DNS label)")
	fs.IntVar(&o.ControlPlanes, "control-planes", 1, "number of control-plane hosts (stacked etcd: an odd number)")
	fs.IntVar(&o.Workers, "workers", 2, "number of worker hosts")
	fs.StringVar(&o.Endpoint, "endpoint", "", "host:port of the load balancer in front of the apiservers (default with several control planes: api.NAME.example.com:6443)")
	fs.StringVar(&o.PodSubnet, "pod-subnet", "10.244.0.0/16", "the pods' network, which the CNI plugin must use too")
	fs.StringVar(&o.Runtime, "runtime", "containerd", "container runtime: containerd, cri-o or cri-dockerd")
	fs.StringVar(&o.KubernetesVersion, "kubernetes-version", latest, "Kubernetes version, such as 1.37 or v1.37.1")
	cmd.RegisterFlagCompletionFunc("runtime", cobra.FixedCompletions([]string{"containerd", "cri-o", "cri-dockerd"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (o *InitOptions) Complete(args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q: init prints the description; redirect it to a file", args[0])
	}
	if o.Endpoint == "" && o.ControlPlanes > 1 {
		o.Endpoint = "api." + o.Name + ".example.com:6443"
	}
	return nil
}

func (o *InitOptions) Validate() error {
	if o.ControlPlanes < 1 || o.ControlPlanes > maxInitControlPlanes {
		return usagef("--control-planes must be 1 to %d, not %d", maxInitControlPlanes, o.ControlPlanes)
	}
	if o.Workers < 0 || o.Workers > maxInitWorkers {
		return usagef("--workers must be 0 to %d, not %d (write larger clusters in CUE: see examples/large)", maxInitWorkers, o.Workers)
	}
	return nil
}

// Run prints the description once kubeforge has accepted it; what it refuses is reported
// against the flag it came from.
func (o *InitOptions) Run() error {
	text := o.description()
	_, _, ds := compiler.LoadBytes("init.yaml", []byte(text))
	if ds.HasErrors() {
		for _, d := range ds.Errors() {
			fmt.Fprintf(o.ErrOut, "kubeforge init: %s: %s\n", flagOfField(d.Path), summary(d))
		}
		return exitWith(exitInvalid)
	}
	for _, d := range ds {
		fmt.Fprintf(o.ErrOut, "kubeforge init: warning: %s: %s\n", flagOfField(d.Path), summary(d))
	}
	_, err := fmt.Fprint(o.Out, text)
	return err
}

// initFlagFields maps description fields to the init flags that set them.
var initFlagFields = []struct{ field, flag string }{
	{"name", "--name"},
	{"kubernetesVersion", "--kubernetes-version"},
	{"controlPlaneEndpoint", "--endpoint"},
	{"networking.podSubnets", "--pod-subnet"},
	{"containerRuntime", "--runtime"},
	{"hosts", "--control-planes/--workers"},
	{"etcd", "--control-planes"},
}

// summary returns a diagnostic's summary and detail on one line.
func summary(d diag.Diagnostic) string {
	if d.Detail == "" {
		return d.Summary
	}
	return d.Summary + " (" + d.Detail + ")"
}

func flagOfField(path string) string {
	for _, f := range initFlagFields {
		if path == f.field || strings.HasPrefix(path, f.field+".") || strings.HasPrefix(path, f.field+"[") {
			return f.flag
		}
	}
	if path == "" {
		return "description"
	}
	return path
}

// description returns the starter description's text. Values are written as JSON strings,
// which YAML reads as the same strings whatever they hold.
func (o *InitOptions) description() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# A kubeforge cluster description, started by `kubeforge init`.\n")
	w("# Check it with `kubeforge validate FILE`, review the defaults it leaves to kubeforge with\n")
	w("# `kubeforge defaults FILE`, and read every field's documentation in `kubeforge schema`.\n")
	w("apiVersion: %s\n", schema.APIVersion())
	w("kind: Cluster\n")
	w("# Used in kubeconfigs and in the kubeadm-config ConfigMap.\n")
	w("name: %s\n", quote(o.Name))
	w("# Supported minors: %s; without a patch, the newest kubeforge knows.\n", strings.Join(minorNames(), ", "))
	w("kubernetesVersion: %s\n", quote(o.KubernetesVersion))
	if o.Endpoint != "" {
		w("# host:port of the load balancer in front of the apiservers.\n")
		w("controlPlaneEndpoint: %s\n", quote(o.Endpoint))
	}
	w("networking:\n")
	w("  # The pods' network: the CNI plugin you install must use the same. Services default to\n")
	w("  # 10.96.0.0/12.\n")
	w("  podSubnets: [%s]\n", quote(o.PodSubnet))
	w("containerRuntime:\n")
	w("  # containerd, cri-o or cri-dockerd; the socket and the systemd cgroup driver follow.\n")
	w("  kind: %s\n", quote(o.Runtime))
	w("# Every machine of the cluster: replace the addresses with your hosts' own (the first\n")
	w("# address of a host is its node IP). Roles: control-plane, worker, etcd.\n")
	w("hosts:\n")
	addr := netip.MustParseAddr("192.168.10.11")
	for i := range o.ControlPlanes {
		w("  - {name: cp%d, addresses: [%s], roles: [control-plane]}\n", i+1, addr)
		addr = addr.Next()
	}
	addr = netip.MustParseAddr("192.168.20.11")
	for i := range o.Workers {
		w("  - {name: w%d, addresses: [%s], roles: [worker]}\n", i+1, addr)
		addr = addr.Next()
	}
	return b.String()
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func minorNames() []string {
	var out []string
	for _, m := range compiler.SupportedMinors() {
		out = append(out, newestPatch(m).MinorString())
	}
	return out
}

// latestKubernetes returns the newest Kubernetes version kubeforge knows, e.g. v1.37.2.
func latestKubernetes() string {
	minors := compiler.SupportedMinors()
	return newestPatch(minors[len(minors)-1]).String()
}
