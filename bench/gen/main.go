// Command gen writes a benchmark cluster description (see package clustergen) and, for the
// kubeadm comparison, a host list and each host's kubeadm configuration.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"kubeforge.dev/kubeforge/bench/clustergen"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// run writes what the flags ask for and returns the first error.
func run() error {
	var s clustergen.Spec
	flag.IntVar(&s.ControlPlanes, "control-planes", 3, "control-plane hosts (stacked etcd)")
	flag.IntVar(&s.Workers, "workers", 10, "worker hosts")
	flag.StringVar(&s.KeyAlgorithm, "key", "ECDSA-P256", "pki.keyAlgorithm")
	out := flag.String("o", "", "write the description here (required)")
	hosts := flag.String("hosts", "", "also write the hosts, one per line: NAME ADDRESS control-plane|worker")
	kubeadmDir := flag.String("kubeadm-dir", "", "also write DIR/HOST.yaml, each host's kubeadm configuration")
	caDir := flag.String("kubeadm-ca-dir", "", "certificatesDir of the workers' kubeadm configurations: where `kubeadm kubeconfig user` finds the cluster CA (control-plane hosts use /etc/kubernetes/pki below their --rootfs)")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		return fmt.Errorf("-o is required and no arguments are taken")
	}
	if err := os.WriteFile(*out, clustergen.YAML(s), 0o644); err != nil {
		return err
	}
	all := clustergen.Hosts(s)
	if *hosts != "" {
		var b strings.Builder
		for _, h := range all {
			role := "worker"
			if h.ControlPlane {
				role = "control-plane"
			}
			fmt.Fprintf(&b, "%s %s %s\n", h.Name, h.Address, role)
		}
		if err := os.WriteFile(*hosts, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	if *kubeadmDir != "" {
		if err := os.MkdirAll(*kubeadmDir, 0o755); err != nil {
			return err
		}
		for _, h := range all {
			certDir := "/etc/kubernetes/pki"
			if !h.ControlPlane && *caDir != "" {
				certDir = *caDir
			}
			p := filepath.Join(*kubeadmDir, h.Name+".yaml")
			if err := os.WriteFile(p, clustergen.KubeadmConfig(s, h, certDir), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
