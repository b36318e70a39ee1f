package compiler

// Release is the row of the version table for one Kubernetes minor: every choice kubeforge
// makes that depends on the minor, as kubeadm of that minor makes it. Renderers read the row
// of a host's minor (Host.Release) for the host's files and the row of the cluster's minor
// (Cluster.Release) for the cluster bundle, and never compare versions themselves; a test
// checks every row is complete.
type Release struct {
	Minor int
	// LatestPatch is the newest patch kubeforge knows, used when the description names only
	// the minor; Patches lists the known ones.
	LatestPatch int
	// EtcdImageTag, CoreDNSVersion and PauseVersion tag the images whose release is not the
	// cluster's own version (the control-plane components and kube-proxy run the cluster's
	// version: ControlPlaneImage). The etcd tag is the etcd release and kubeadm's build
	// number ("3.6.6-0"), CoreDNS's its release ("v1.13.1"), the sandbox image's "3.10.1".
	EtcdImageTag   string
	CoreDNSVersion string
	PauseVersion   string
	// EtcdFlags are the etcd flags whose spelling depends on the etcd release the row's etcd
	// image runs: etcd 3.6 turned the --experimental-* flags kubeadm sets into a feature gate
	// and a plain flag, and later releases dropped the old spellings.
	EtcdFlags map[string]string
	// FlexVolumeMount: kubeadm up to 1.35 mounts the flexvolume plugin directory into the
	// controller-manager; 1.36 stopped.
	FlexVolumeMount bool
	// APIs are the versions of the configuration APIs the minor's kubeadm writes.
	APIs ConfigAPIs
	// Subjects are the subjects kubeadm of the minor gives each certificate, by the PKI's
	// name for it (render/pki's leaf names).
	Subjects CertSubjects
}

// ConfigAPIs are the apiVersions of the configuration files and ConfigMaps kubeadm writes.
type ConfigAPIs struct {
	// Kubeadm is the ClusterConfiguration of the kubeadm-config ConfigMap.
	Kubeadm string
	// Kubelet is the KubeletConfiguration of config.yaml and the kubelet-config ConfigMap.
	Kubelet string
	// KubeProxy is the KubeProxyConfiguration of kube-proxy's ConfigMap.
	KubeProxy string
	// Authentication is the AuthenticationConfiguration of --authentication-config
	// (apiServer.authentication): v1 is served since 1.34, where structured authentication
	// became GA; v1beta1 from 1.30.
	Authentication string
}

// CertSubject is the subject of a certificate: common name and organizations (groups).
type CertSubject struct {
	CN            string
	Organizations []string
	// PerNode appends the host's node name to CN.
	PerNode bool
}

// CertSubjects are the subjects of a PKI, by certificate name.
type CertSubjects map[string]CertSubject

// subjectsClusterAdmins are the subjects of kubeadm since 1.29 (certs/certlist.go and
// kubeconfig/kubeconfig.go of 1.35, 1.36 and 1.37 agree): admin.conf's user is in
// kubeadm:cluster-admins (bound to cluster-admin by a ClusterRoleBinding, so it can be
// revoked), super-admin.conf's in system:masters (cannot be), and apiserver-kubelet-client
// carries no group: a ClusterRoleBinding grants its user system:kubelet-api-admin.
var subjectsClusterAdmins = CertSubjects{
	"apiserver":                {CN: "kube-apiserver"},
	"apiserver-kubelet-client": {CN: "kube-apiserver-kubelet-client"},
	"front-proxy-client":       {CN: "front-proxy-client"},
	"apiserver-etcd-client":    {CN: "kube-apiserver-etcd-client"},
	"etcd/server":              {PerNode: true},
	"etcd/peer":                {PerNode: true},
	"etcd/healthcheck-client":  {CN: "kube-etcd-healthcheck-client"},
	"admin":                    {CN: "kubernetes-admin", Organizations: []string{"kubeadm:cluster-admins"}},
	"super-admin":              {CN: "kubernetes-super-admin", Organizations: []string{"system:masters"}},
	"controller-manager":       {CN: "system:kube-controller-manager"},
	"scheduler":                {CN: "system:kube-scheduler"},
	// The Node authorizer and NodeRestriction admit a kubelet as exactly this node.
	"kubelet-client": {CN: "system:node:", Organizations: []string{"system:nodes"}, PerNode: true},
	// What the kubelet itself asks for when it requests a serving certificate.
	"kubelet-serving": {CN: "system:node:", Organizations: []string{"system:nodes"}, PerNode: true},
}

// etcd36Flags are the spellings of etcd 3.6 and later.
var etcd36Flags = map[string]string{
	"feature-gates":                  "InitialCorruptCheck=true",
	"watch-progress-notify-interval": "5s",
}

// apisKubeadmV1beta4 are the configuration APIs of kubeadm 1.31 and later.
var apisKubeadmV1beta4 = ConfigAPIs{
	Kubeadm:        "kubeadm.k8s.io/v1beta4",
	Kubelet:        "kubelet.config.k8s.io/v1beta1",
	KubeProxy:      "kubeproxy.config.k8s.io/v1alpha1",
	Authentication: "apiserver.config.k8s.io/v1",
}

// releases is the version table, oldest minor first.
var releases = []Release{
	{
		Minor: 35, LatestPatch: 6,
		EtcdImageTag: "3.6.6-0", CoreDNSVersion: "v1.13.1", PauseVersion: "3.10.1",
		EtcdFlags: etcd36Flags, FlexVolumeMount: true,
		APIs: apisKubeadmV1beta4, Subjects: subjectsClusterAdmins,
	},
	{
		Minor: 36, LatestPatch: 3,
		EtcdImageTag: "3.6.8-0", CoreDNSVersion: "v1.14.2", PauseVersion: "3.10.2",
		EtcdFlags: etcd36Flags,
		APIs:      apisKubeadmV1beta4, Subjects: subjectsClusterAdmins,
	},
	{
		Minor: 37, LatestPatch: 2,
		EtcdImageTag: "3.7.0-0", CoreDNSVersion: "v1.14.6", PauseVersion: "3.10.2",
		EtcdFlags: etcd36Flags,
		APIs:      apisKubeadmV1beta4, Subjects: subjectsClusterAdmins,
	},
}

// SupportedMinors lists the supported minors, oldest first.
func SupportedMinors() []int {
	out := make([]int, len(releases))
	for i, r := range releases {
		out[i] = r.Minor
	}
	return out
}

// ReleaseFor returns the table row for a minor.
func ReleaseFor(minor int) (Release, bool) {
	for _, r := range releases {
		if r.Minor == minor {
			return r, true
		}
	}
	return Release{}, false
}

// Patches returns the released patches of the minor, oldest first: every patch up to the
// newest known, as Kubernetes numbers them without gaps.
func (r Release) Patches() []Version {
	out := make([]Version, 0, r.LatestPatch+1)
	for p := range r.LatestPatch + 1 {
		out = append(out, Version{Major: 1, Minor: r.Minor, Patch: p})
	}
	return out
}

// EtcdImage returns the etcd image of the host's minor: a stacked or dedicated etcd member
// moves to the next etcd release with its host.
func (c *Cluster) EtcdImage(h *Host) string {
	return c.ImageRepository + "/etcd:" + h.Release.EtcdImageTag
}

// HostImage returns the image of a control-plane component at the host's version.
func (c *Cluster) HostImage(h *Host, component string) string {
	return c.ImageRepository + "/" + component + ":" + h.Version.String()
}

// ControlPlaneImage returns the image of a component at the cluster's version: kube-proxy's,
// which the cluster bundle runs on every node.
func (c *Cluster) ControlPlaneImage(component string) string {
	return c.ImageRepository + "/" + component + ":" + c.Version.String()
}

// PauseImage returns the sandbox image of the cluster's minor.
func (c *Cluster) PauseImage() string { return c.pauseImage(c.Release) }

// HostPauseImage returns the sandbox image of the host's minor, which its runtime is
// configured with.
func (c *Cluster) HostPauseImage(h *Host) string { return c.pauseImage(h.Release) }

func (c *Cluster) pauseImage(r Release) string {
	return c.ImageRepository + "/pause:" + r.PauseVersion
}

// CoreDNSImage returns the CoreDNS image of the cluster's minor, which the cluster bundle
// deploys.
func (c *Cluster) CoreDNSImage() string {
	return c.ImageRepository + "/coredns/coredns:" + c.Release.CoreDNSVersion
}
