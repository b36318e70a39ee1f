package kubelet

import (
	"fmt"
	"kubeforge.dev/kubeforge/render/internal/unit"
	"path"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// unitArtifacts returns kubelet.service, the accounting drop-in and, on hosts that join the
// cluster, kubeadm's drop-in.
func unitArtifacts(c *compiler.Cluster, h *compiler.Host) ([]artifact.Artifact, error) {
	units := []unitSource{
		{compiler.KubeletUnitPath, kubeletService},
		{compiler.KubeletAccountingDropInPath, accountingConf},
	}
	if !c.EtcdOnly(h) {
		units = append(units, unitSource{compiler.KubeletKubeadmDropInPath, kubeadmConf})
	}
	out := make([]artifact.Artifact, 0, len(units))
	for _, u := range units {
		data, err := u.data()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", u.path, err)
		}
		out = append(out, kubeletUnitFile(u.path, data))
	}
	return out, nil
}

// kubeletUnit is the kubelet's systemd unit, named by its unit file.
var kubeletUnit = path.Base(compiler.KubeletUnitPath)

// kubeletFileMode is the mode of the kubelet's unit, drop-ins and config.yaml: only root (the
// kubelet and systemd) reads them. kubeadm's packages write 0644; the CIS Benchmark (4.1.1,
// 4.1.9) asks for 600 or more restrictive, as they name the kubelet's credentials and flags.
const kubeletFileMode = 0o600

// kubeletUnitFile returns kubelet.service's unit file or one of its drop-ins at p: systemd
// reloads it, and the kubelet only runs the new command line once restarted.
func kubeletUnitFile(p string, data []byte, sources ...string) artifact.Artifact {
	return artifact.File(p, kubeletFileMode, data, sources...).OfUnit(kubeletUnit).Affecting(artifact.RestartKubelet)
}

// unitSource is a unit file that depends on no description field, and how to write it.
type unitSource struct {
	path string
	data func() ([]byte, error)
}

// kubeletService returns the unit the Kubernetes packages ship. It starts the kubelet only
// once its config.yaml exists, and retries forever: the kubelet exits while its configuration
// or the apiserver is not there yet.
func kubeletService() ([]byte, error) {
	var u unit.File
	u.Section("Unit")
	u.Set("Description", "kubelet: The Kubernetes Node Agent")
	u.Set("Documentation", "https://kubernetes.io/docs/")
	u.Set("Wants", "network-online.target")
	u.Set("After", "network-online.target")
	u.Set("ConditionPathExists", compiler.KubeletConfigPath)
	u.Section("Service")
	u.SetExec("ExecStart", unit.Literal(compiler.KubeletBinary))
	u.Set("Restart", "always")
	u.Set("StartLimitInterval", "0")
	u.Set("RestartSec", "10")
	u.Section("Install")
	u.Set("WantedBy", "multi-user.target")
	return u.Bytes()
}

// kubeadmConf returns the kubeadm package's drop-in without the bootstrap kubeconfig:
// kubeforge issues kubelet.conf, so the kubelet never bootstraps.
func kubeadmConf() ([]byte, error) {
	var u unit.File
	u.Comment("The kubelet's command line, as kubeadm's package sets it. Per-node flags come")
	u.Comment("from kubeadm-flags.env; KUBELET_EXTRA_ARGS from the distribution's defaults file.")
	u.Section("Service")
	u.SetEnv("KUBELET_KUBECONFIG_ARGS", "--kubeconfig="+compiler.KubeletConfPath)
	u.SetEnv("KUBELET_CONFIG_ARGS", "--config="+compiler.KubeletConfigPath)
	u.Set("EnvironmentFile", "-"+compiler.KubeletEnvPath)
	// Debian's and Red Hat's packages each read one of these; '-' ignores the absent one.
	u.Set("EnvironmentFile", "-"+compiler.KubeletDefaultsDebPath)
	u.Set("EnvironmentFile", "-"+compiler.KubeletDefaultsRPMPath)
	u.Set("ExecStart", "")
	u.SetExec("ExecStart", unit.Literal(compiler.KubeletBinary), unit.Var("KUBELET_KUBECONFIG_ARGS"), unit.Var("KUBELET_CONFIG_ARGS"),
		unit.Var(kubeadmFlagsVar), unit.Var("KUBELET_EXTRA_ARGS"))
	return u.Bytes()
}

// accountingConf returns a drop-in turning on CPU and memory accounting, so the kubelet's
// cgroup statistics for system daemons are complete.
func accountingConf() ([]byte, error) {
	var u unit.File
	u.Section("Service")
	u.Set("CPUAccounting", "true")
	u.Set("MemoryAccounting", "true")
	return u.Bytes()
}

// etcdServiceManagerArtifact returns the drop-in of a dedicated etcd host, after kubeadm's HA
// etcd guide: the kubelet runs standalone from its config.yaml, without kubeconfig, and only
// runs the etcd static pod.
//
// The guide puts that KubeletConfiguration in the drop-in directory, but systemd parses every
// *.conf there as unit settings (and complains about each YAML line). kubeforge keeps it at
// config.yaml, the kubelet's usual place, which also satisfies the unit's ConditionPathExists.
func etcdServiceManagerArtifact(c *compiler.Cluster, h *compiler.Host) (artifact.Artifact, error) {
	words := []string{compiler.KubeletBinary}
	extra := h.Kubelet.ExtraArgs
	if _, ok := extra["config"]; !ok {
		words = append(words, "--config="+compiler.KubeletConfigPath)
	}
	// The standalone kubelet pulls etcd's image too, which may need the providers.
	flags, from := credentialProviderFlags(h)
	words = append(words, flagArgs(sortedKeys(flags), flags)...)
	words = append(words, flagArgs(sortedKeys(extra), extra)...)
	var u unit.File
	u.Comment("This host only runs an etcd member: the kubelet manages its static pod, standalone.")
	u.Section("Service")
	u.Set("ExecStart", "")
	u.SetExec("ExecStart", unit.Literals(words...)...)
	u.Set("Restart", "always")
	p := compiler.KubeletEtcdServiceManagerDropInPath
	data, err := u.Bytes()
	if err != nil {
		return artifact.Artifact{}, fmt.Errorf("host %s: %s: %w", h.Name, p, err)
	}
	src := sources{}
	src.add("etcd.topology", hostField(h, "roles"), h.Kubelet.Origin["extraArgs"])
	src.add(from...)
	return kubeletUnitFile(p, data, src.list()...), nil
}
