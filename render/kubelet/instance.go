package kubelet

import (
	kubeletconfigv1beta1 "k8s.io/kubelet/config/v1beta1"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// instanceConfig returns kubeadm's instance-config.yaml: the node-local part of config.yaml,
// which `kubeadm upgrade node` patches into the cluster-wide configuration it downloads.
// Without it, kubeadm would guess the runtime socket on upgrade. kubeadm writes it without
// apiVersion and kind, as a patch.
func instanceConfig(c *compiler.Cluster) (artifact.Artifact, error) {
	data, err := marshalPruned(&kubeletconfigv1beta1.KubeletConfiguration{ContainerRuntimeEndpoint: c.Runtime.CRISocket})
	if err != nil {
		return artifact.Artifact{}, err
	}
	return artifact.File(compiler.KubeletInstanceConfigPath, 0o644, data, "containerRuntime.criSocket").Affecting(artifact.RestartKubelet), nil
}
