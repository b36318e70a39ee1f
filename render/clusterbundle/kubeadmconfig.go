package clusterbundle

import (
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/apiserversec"
	"kubeforge.dev/kubeforge/render/staticpod"
)

// kubeadm's configuration types cannot be imported (they live in k8s.io/kubernetes); these
// mirror the part of kubeadm.k8s.io/v1beta4 ClusterConfiguration that kubeforge fills, with
// kubeadm's field names. A test checks them with the real kubeadm binary.

// clusterConfiguration is kubeadm's ClusterConfiguration.
type clusterConfiguration struct {
	metav1.TypeMeta             `json:",inline"`
	ClusterName                 string            `json:"clusterName,omitempty"`
	KubernetesVersion           string            `json:"kubernetesVersion,omitempty"`
	ControlPlaneEndpoint        string            `json:"controlPlaneEndpoint,omitempty"`
	ImageRepository             string            `json:"imageRepository,omitempty"`
	CertificatesDir             string            `json:"certificatesDir,omitempty"`
	EncryptionAlgorithm         string            `json:"encryptionAlgorithm,omitempty"`
	CertificateValidityPeriod   *metav1.Duration  `json:"certificateValidityPeriod,omitempty"`
	CACertificateValidityPeriod *metav1.Duration  `json:"caCertificateValidityPeriod,omitempty"`
	Networking                  kubeadmNetworking `json:"networking"`
	Etcd                        kubeadmEtcd       `json:"etcd"`
	APIServer                   kubeadmAPIServer  `json:"apiServer"`
	ControllerManager           kubeadmComponent  `json:"controllerManager"`
	Scheduler                   kubeadmComponent  `json:"scheduler"`
	DNS                         kubeadmAddon      `json:"dns"`
	Proxy                       kubeadmAddon      `json:"proxy"`
}

type kubeadmNetworking struct {
	ServiceSubnet string `json:"serviceSubnet,omitempty"`
	PodSubnet     string `json:"podSubnet,omitempty"`
	DNSDomain     string `json:"dnsDomain,omitempty"`
}

// kubeadmEtcd holds exactly one of Local (etcd run by kubeadm on the control-plane hosts) and
// External.
type kubeadmEtcd struct {
	Local    *kubeadmLocalEtcd    `json:"local,omitempty"`
	External *kubeadmExternalEtcd `json:"external,omitempty"`
}

type kubeadmLocalEtcd struct {
	DataDir   string       `json:"dataDir"`
	ExtraArgs []kubeadmArg `json:"extraArgs,omitempty"`
}

type kubeadmExternalEtcd struct {
	Endpoints []string `json:"endpoints"`
	CAFile    string   `json:"caFile"`
	CertFile  string   `json:"certFile"`
	KeyFile   string   `json:"keyFile"`
}

type kubeadmComponent struct {
	ExtraArgs []kubeadmArg `json:"extraArgs,omitempty"`
}

type kubeadmAPIServer struct {
	ExtraArgs    []kubeadmArg    `json:"extraArgs,omitempty"`
	ExtraVolumes []kubeadmVolume `json:"extraVolumes,omitempty"`
	CertSANs     []string        `json:"certSANs,omitempty"`
}

// kubeadmVolume is kubeadm's HostPathMount: a host path mounted at the same path.
type kubeadmVolume struct {
	Name      string              `json:"name"`
	HostPath  string              `json:"hostPath"`
	MountPath string              `json:"mountPath"`
	ReadOnly  bool                `json:"readOnly,omitempty"`
	PathType  corev1.HostPathType `json:"pathType,omitempty"`
}

// kubeadmArg is a flag: v1beta4 lists flags as name/value pairs.
type kubeadmArg struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type kubeadmAddon struct {
	Disabled bool `json:"disabled,omitempty"`
}

// kubeadmConfigVersion is the ClusterConfiguration version kubeadm 1.35 to 1.37 store.
const kubeadmConfigVersion = "kubeadm.k8s.io/v1beta4"

// clusterConfig returns the ClusterConfiguration kubeadm init would upload for the cluster
// whose static pods were rendered with pods.
func clusterConfig(c *compiler.Cluster, pods staticpod.Options) (*clusterConfiguration, error) {
	cc := &clusterConfiguration{
		TypeMeta:                    metav1.TypeMeta{APIVersion: kubeadmConfigVersion, Kind: "ClusterConfiguration"},
		ClusterName:                 c.Name,
		KubernetesVersion:           c.Version.String(),
		ControlPlaneEndpoint:        c.Endpoint.String(),
		ImageRepository:             c.ImageRepository,
		CertificatesDir:             compiler.PKIDir,
		EncryptionAlgorithm:         string(c.PKI.KeyAlgorithm),
		CertificateValidityPeriod:   &metav1.Duration{Duration: c.PKI.CertValidity},
		CACertificateValidityPeriod: &metav1.Duration{Duration: c.PKI.CAValidity},
		Networking: kubeadmNetworking{
			ServiceSubnet: compiler.JoinPrefixes(c.Network.ServiceSubnets),
			PodSubnet:     compiler.JoinPrefixes(c.Network.PodSubnets),
			DNSDomain:     c.Network.DNSDomain,
		},
		APIServer:         apiServerConfig(c),
		ControllerManager: controllerManagerConfig(c, pods),
		Scheduler:         kubeadmComponent{ExtraArgs: kubeadmArgs(c.Scheduler.ExtraArgs)},
		DNS:               kubeadmAddon{Disabled: !c.Addons.CoreDNS},
		Proxy:             kubeadmAddon{Disabled: !c.Addons.KubeProxy},
	}
	switch c.Etcd.Topology {
	case compiler.EtcdStacked:
		cc.Etcd.Local = &kubeadmLocalEtcd{DataDir: c.Etcd.DataDir, ExtraArgs: kubeadmArgs(c.Etcd.ExtraArgs)}
	case compiler.EtcdDedicated:
		// To kubeadm, etcd on hosts of their own is external etcd run by kubelets.
		var eps []string
		for _, h := range c.EtcdMembers() {
			eps = append(eps, fmt.Sprintf("https://%s:%d", compiler.URLHost(h.AdvertiseAddress()), compiler.PortEtcdClient))
		}
		cc.Etcd.External = externalEtcd(eps)
	case compiler.EtcdExternal:
		if c.Etcd.External == nil {
			return nil, fmt.Errorf("cluster bundle: external etcd without endpoints")
		}
		cc.Etcd.External = externalEtcd(c.Etcd.External.Endpoints)
	default:
		return nil, fmt.Errorf("cluster bundle: unknown etcd topology %q", c.Etcd.Topology)
	}
	return cc, nil
}

// apiServerConfig returns the apiserver's part: the user's extra flags and, as kubeadm keeps
// them, the flags and volumes of the security files (encryption at rest, audit), so that a
// `kubeadm upgrade` regenerating the static pod from this ConfigMap keeps them. The compiler
// refuses an extra flag that a security field sets.
func apiServerConfig(c *compiler.Cluster) kubeadmAPIServer {
	args := maps.Clone(c.APIServer.ExtraArgs)
	if args == nil {
		args = compiler.Args{}
	}
	maps.Copy(args, apiserversec.Flags(c))
	out := kubeadmAPIServer{ExtraArgs: kubeadmArgs(args), CertSANs: c.APIServer.CertSANs}
	for _, m := range apiserversec.Mounts(c) {
		out.ExtraVolumes = append(out.ExtraVolumes, kubeadmVolume{Name: m.Name, HostPath: m.Path, MountPath: m.Path, ReadOnly: m.ReadOnly, PathType: m.Type})
	}
	return out
}

// controllerManagerConfig returns the controller-manager's part: the flags its static pod has
// beyond kubeadm's defaults (the signing certificate during a cluster CA rotation, without
// which `kubeadm upgrade` would point it at a ca.crt holding two certificates), then the user's
// extra flags, which replace them as in the static pod.
func controllerManagerConfig(c *compiler.Cluster, pods staticpod.Options) kubeadmComponent {
	args := pods.ControllerManagerFlags()
	if args == nil {
		args = compiler.Args{}
	}
	maps.Copy(args, c.ControllerManager.ExtraArgs)
	return kubeadmComponent{ExtraArgs: kubeadmArgs(args)}
}

// externalEtcd names the client files where the apiservers read them on the control-plane
// hosts, as kubeadm's external-etcd setup places them.
func externalEtcd(endpoints []string) *kubeadmExternalEtcd {
	return &kubeadmExternalEtcd{
		Endpoints: slices.Clone(endpoints),
		CAFile:    compiler.EtcdCACertPath,
		CertFile:  compiler.APIServerEtcdClientCert,
		KeyFile:   compiler.APIServerEtcdClientKey,
	}
}

// kubeadmArgs returns extra flags sorted by name, as v1beta4 lists them.
func kubeadmArgs(args compiler.Args) []kubeadmArg {
	var out []kubeadmArg
	for _, k := range slices.Sorted(maps.Keys(args)) {
		out = append(out, kubeadmArg{Name: k, Value: args[k]})
	}
	return out
}
