package kubelet

import (
	"fmt"
	"path"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// Drop-ins of kubelet.service, applied in name order.
const (
	kubeadmDropIn         = "10-kubeadm.conf"
	accountingDropIn      = "11-accounting.conf"
	reservedCgroupsDropIn = "12-reserved-cgroups.conf"
	// The name kubeadm's HA etcd guide uses: it sorts after 10-kubeadm.conf, so its ExecStart
	// wins even where the kubeadm package installed its own 10-kubeadm.conf.
	etcdServiceManagerDropIn = "20-etcd-service-manager.conf"
)

// unitArtifacts returns kubelet.service, the accounting drop-in and, on hosts that join the
// cluster, kubeadm's drop-in.
func unitArtifacts(c *compiler.Cluster, h *compiler.Host) ([]artifact.Artifact, error) {
	units := []unitSource{
		{compiler.KubeletUnitPath, kubeletService},
		{path.Join(compiler.KubeletDropInDir, accountingDropIn), accountingConf},
	}
	if !c.EtcdOnly(h) {
		units = append(units, unitSource{path.Join(compiler.KubeletDropInDir, kubeadmDropIn), kubeadmConf})
	}
	out := make([]artifact.Artifact, 0, len(units))
	for _, u := range units {
		data, err := u.data()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", u.path, err)
		}
		out = append(out, kubeletUnitFile(artifact.File(u.path, 0o644, data)))
	}
	return out, nil
}

// kubeletUnit is the kubelet's systemd unit, named by its unit file.
var kubeletUnit = path.Base(compiler.KubeletUnitPath)

// kubeletUnitFile returns a as kubelet.service's unit file or one of its drop-ins: systemd
// reloads it, and the kubelet only runs the new command line once restarted.
func kubeletUnitFile(a artifact.Artifact) artifact.Artifact {
	return a.OfUnit(kubeletUnit).Affecting(artifact.RestartKubelet)
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
	var u unitFile
	u.section("Unit")
	u.set("Description", "kubelet: The Kubernetes Node Agent")
	u.set("Documentation", "https://kubernetes.io/docs/")
	u.set("Wants", "network-online.target")
	u.set("After", "network-online.target")
	u.set("ConditionPathExists", compiler.KubeletConfigPath)
	u.section("Service")
	u.setExec("ExecStart", literal(compiler.KubeletBinary))
	u.set("Restart", "always")
	u.set("StartLimitInterval", "0")
	u.set("RestartSec", "10")
	u.section("Install")
	u.set("WantedBy", "multi-user.target")
	return u.bytes()
}

// kubeadmConf returns the kubeadm package's drop-in without the bootstrap kubeconfig:
// kubeforge issues kubelet.conf, so the kubelet never bootstraps.
func kubeadmConf() ([]byte, error) {
	var u unitFile
	u.comment("The kubelet's command line, as kubeadm's package sets it. Per-node flags come")
	u.comment("from kubeadm-flags.env; KUBELET_EXTRA_ARGS from the distribution's defaults file.")
	u.section("Service")
	u.setEnv("KUBELET_KUBECONFIG_ARGS", "--kubeconfig="+compiler.KubeletConfPath)
	u.setEnv("KUBELET_CONFIG_ARGS", "--config="+compiler.KubeletConfigPath)
	u.set("EnvironmentFile", "-"+compiler.KubeletEnvPath)
	// Debian's and Red Hat's packages each read one of these; '-' ignores the absent one.
	u.set("EnvironmentFile", "-"+compiler.KubeletDefaultsDebPath)
	u.set("EnvironmentFile", "-"+compiler.KubeletDefaultsRPMPath)
	u.set("ExecStart", "")
	u.setExec("ExecStart", literal(compiler.KubeletBinary), splitVar("KUBELET_KUBECONFIG_ARGS"), splitVar("KUBELET_CONFIG_ARGS"),
		splitVar(kubeadmFlagsVar), splitVar("KUBELET_EXTRA_ARGS"))
	return u.bytes()
}

// accountingConf returns a drop-in turning on CPU and memory accounting, so the kubelet's
// cgroup statistics for system daemons are complete.
func accountingConf() ([]byte, error) {
	var u unitFile
	u.section("Service")
	u.set("CPUAccounting", "true")
	u.set("MemoryAccounting", "true")
	return u.bytes()
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
	words = append(words, flagArgs(sortedKeys(extra), extra)...)
	var u unitFile
	u.comment("This host only runs an etcd member: the kubelet manages its static pod, standalone.")
	u.section("Service")
	u.set("ExecStart", "")
	u.setExec("ExecStart", literals(words...)...)
	u.set("Restart", "always")
	p := path.Join(compiler.KubeletDropInDir, etcdServiceManagerDropIn)
	data, err := u.bytes()
	if err != nil {
		return artifact.Artifact{}, fmt.Errorf("host %s: %s: %w", h.Name, p, err)
	}
	src := sources{}
	src.add("etcd.topology", hostField(h, "roles"), h.Kubelet.Origin["extraArgs"])
	return kubeletUnitFile(artifact.File(p, 0o644, data, src.list()...)), nil
}
