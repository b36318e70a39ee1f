package clusterbundle

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/kubelet"
	"kubeforge.dev/kubeforge/render/staticpod"
)

// Keys kubeadm reads the uploaded configuration from.
const (
	keyClusterConfiguration = "ClusterConfiguration"
	keyKubelet              = "kubelet"
)

// configManifests returns the kubeadm-config and kubelet-config ConfigMaps kubeadm init
// uploads, which kubeadm upgrade and kubeadm join read back.
func configManifests(c *compiler.Cluster, pods staticpod.Options) ([]manifest, error) {
	cc, err := clusterConfig(c, pods)
	if err != nil {
		return nil, err
	}
	ccYAML, err := encodeYAML(cc)
	if err != nil {
		return nil, err
	}
	kc, err := kubelet.ClusterConfig(c)
	if err != nil {
		return nil, err
	}
	kc.TypeMeta = metav1.TypeMeta{APIVersion: kubeletv1beta1.SchemeGroupVersion.String(), Kind: "KubeletConfiguration"}
	kcYAML, err := encodeYAML(kc)
	if err != nil {
		return nil, err
	}
	return []manifest{
		{section: sectionConfig, obj: configMap(nsSystem, configMapKubeadmConfig, nil,
			map[string]string{keyClusterConfiguration: string(ccYAML)}),
			sources: []string{"name", "kubernetesVersion", "controlPlaneEndpoint", "imageRepository", "networking",
				"etcd", "apiServer", "controllerManager", "scheduler", "pki", "addons"}},
		// Not signed with kubeadm's checksum annotation: kubeadm then treats the configuration
		// as the user's own, never replaced by its defaults (which it does to a signed one of
		// an API version it no longer reads).
		{section: sectionConfig, obj: configMap(nsSystem, configMapKubeletConfig, nil,
			map[string]string{keyKubelet: string(kcYAML)}),
			sources: []string{"kubelet", "networking.serviceSubnets", "networking.dnsDomain", "containerRuntime.cgroupDriver"}},
	}, nil
}
