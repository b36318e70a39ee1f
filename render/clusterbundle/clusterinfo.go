package clusterbundle

import (
	"encoding/pem"
	"fmt"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/kubeconfig"
)

// keyClusterInfoKubeconfig is the key kubeadm join's discovery reads.
const keyClusterInfoKubeconfig = "kubeconfig"

// ClusterInfo returns the cluster-info ConfigMap of kube-public, which kubeadm join's
// discovery reads anonymously: a kubeconfig naming the endpoint and the cluster CA, given as
// PEM (ca.crt). It carries no token signature: the controller-manager's bootstrapsigner adds
// one for each bootstrap token, should an operator ever create one. Its path sorts with the
// bundle's other ConfigMaps.
func ClusterInfo(c *compiler.Cluster, caCert []byte) (artifact.Artifact, error) {
	if b, _ := pem.Decode(caCert); b == nil || b.Type != "CERTIFICATE" {
		return artifact.Artifact{}, fmt.Errorf("cluster-info: the cluster CA is not a PEM certificate")
	}
	kc := kubeconfig.New()
	// kubeadm copies admin.conf's cluster under an empty name; join takes the first cluster.
	kc.Clusters = []kubeconfig.NamedCluster{{Cluster: kubeconfig.Cluster{Server: c.Endpoint.URL(), CertificateAuthorityData: caCert}}}
	data, err := encodeYAML(kc)
	if err != nil {
		return artifact.Artifact{}, err
	}
	m := manifest{
		section: sectionConfig,
		obj:     configMap(nsPublic, configMapClusterInfo, nil, map[string]string{keyClusterInfoKubeconfig: string(data)}),
		sources: []string{"controlPlaneEndpoint"},
	}
	return m.artifact()
}
