package compiler

import "path"

// Paths on the node, as kubeadm lays them out, so kubeadm-era tooling finds everything where
// it expects it. Renderers take paths from here only.
const (
	KubernetesDir             = "/etc/kubernetes"
	ManifestsDir              = "/etc/kubernetes/manifests"
	PKIDir                    = "/etc/kubernetes/pki"
	EtcdPKIDir                = "/etc/kubernetes/pki/etcd"
	KubeletDir                = "/var/lib/kubelet"
	KubeletConfigPath         = "/var/lib/kubelet/config.yaml"
	KubeletPKIDir             = "/var/lib/kubelet/pki"
	KubeletEnvPath            = "/var/lib/kubelet/kubeadm-flags.env"
	KubeletUnitPath           = "/etc/systemd/system/kubelet.service"
	KubeletDropInDir          = "/etc/systemd/system/kubelet.service.d"
	KubeletBinary             = "/usr/bin/kubelet"
	SysctlPath                = "/etc/sysctl.d/99-kubernetes.conf"
	ModulesLoadPath           = "/etc/modules-load.d/kubernetes.conf"
	FirewalldDir              = "/etc/firewalld"
	AdminConfPath             = "/etc/kubernetes/admin.conf"
	SuperAdminConfPath        = "/etc/kubernetes/super-admin.conf"
	KubeletConfPath           = "/etc/kubernetes/kubelet.conf"
	ControllerManagerConfPath = "/etc/kubernetes/controller-manager.conf"
	SchedulerConfPath         = "/etc/kubernetes/scheduler.conf"
	// CredentialProviderConfigPath is the kubelet's CredentialProviderConfig, written only on
	// hosts with image credential providers (kubeadm has no such file; beside its kubelet.conf).
	CredentialProviderConfigPath = "/etc/kubernetes/credential-providers.yaml"

	CACertPath                 = "/etc/kubernetes/pki/ca.crt"
	CAKeyPath                  = "/etc/kubernetes/pki/ca.key"
	APIServerCertPath          = "/etc/kubernetes/pki/apiserver.crt"
	APIServerKeyPath           = "/etc/kubernetes/pki/apiserver.key"
	APIServerKubeletClientCert = "/etc/kubernetes/pki/apiserver-kubelet-client.crt"
	APIServerKubeletClientKey  = "/etc/kubernetes/pki/apiserver-kubelet-client.key"
	APIServerEtcdClientCert    = "/etc/kubernetes/pki/apiserver-etcd-client.crt"
	APIServerEtcdClientKey     = "/etc/kubernetes/pki/apiserver-etcd-client.key"
	FrontProxyCACertPath       = "/etc/kubernetes/pki/front-proxy-ca.crt"
	FrontProxyCAKeyPath        = "/etc/kubernetes/pki/front-proxy-ca.key"
	FrontProxyClientCert       = "/etc/kubernetes/pki/front-proxy-client.crt"
	FrontProxyClientKey        = "/etc/kubernetes/pki/front-proxy-client.key"
	ServiceAccountKeyPath      = "/etc/kubernetes/pki/sa.key"
	ServiceAccountPubPath      = "/etc/kubernetes/pki/sa.pub"
	EtcdCACertPath             = "/etc/kubernetes/pki/etcd/ca.crt"
	EtcdCAKeyPath              = "/etc/kubernetes/pki/etcd/ca.key"
	EtcdServerCert             = "/etc/kubernetes/pki/etcd/server.crt"
	EtcdServerKey              = "/etc/kubernetes/pki/etcd/server.key"
	EtcdPeerCert               = "/etc/kubernetes/pki/etcd/peer.crt"
	EtcdPeerKey                = "/etc/kubernetes/pki/etcd/peer.key"
	EtcdHealthcheckClientCert  = "/etc/kubernetes/pki/etcd/healthcheck-client.crt"
	EtcdHealthcheckClientKey   = "/etc/kubernetes/pki/etcd/healthcheck-client.key"
	// The kubelet's serving certificate; kubeforge issues it so the kubelet does not serve a
	// self-signed one.
	KubeletServingCert = "/var/lib/kubelet/pki/kubelet.crt"
	KubeletServingKey  = "/var/lib/kubelet/pki/kubelet.key"
)

// Host directories mounted into control-plane pods.
const (
	// The host's CA bundles, mounted read-only into the apiserver and controller-manager so
	// they trust what the host trusts (webhooks, OIDC issuers, cloud APIs). kubeadm mounts the
	// ones present on the machine running it; kubeforge cannot look, so the host's OS family
	// says which exist (osfamily.go).
	SSLCertsDir            = "/etc/ssl/certs"
	PKICATrustDir          = "/etc/pki/ca-trust"
	PKITLSCertsDir         = "/etc/pki/tls/certs"
	CACertificatesDir      = "/etc/ca-certificates"
	ShareCACertificatesDir = "/usr/share/ca-certificates"
	LocalCACertificatesDir = "/usr/local/share/ca-certificates"
	// FlexVolumePluginDir is the controller-manager's default flexvolume plugin directory,
	// which kubeadm up to 1.35 mounts into it.
	FlexVolumePluginDir = "/usr/libexec/kubernetes/kubelet-plugins/volume/exec"
)

// Paths of the kubelet's systemd integration and kubeadm's instance config.
const (
	// SystemdUnitDir is where the administrator's units and drop-ins live; they override the
	// packages' units in /usr/lib/systemd/system.
	SystemdUnitDir = "/etc/systemd/system"
	// KubeletInstanceConfigPath is kubeadm's node-local patch to config.yaml (1.35+): the
	// container runtime endpoint, which `kubeadm upgrade node` reapplies.
	KubeletInstanceConfigPath = "/var/lib/kubelet/instance-config.yaml"
	// The distributions' files for KUBELET_EXTRA_ARGS: Debian-family and RPM-family packages.
	KubeletDefaultsDebPath = "/etc/default/kubelet"
	KubeletDefaultsRPMPath = "/etc/sysconfig/kubelet"
)

// The apiserver's security files (apiServer.encryptionAtRest, apiServer.audit). Each lives in
// a directory of its own, mounted into the apiserver as a directory so that a file replaced by
// rename is seen by the next apiserver start.
const (
	// EncryptionConfigDir holds the EncryptionConfiguration, which embeds the keys: root only.
	EncryptionConfigDir  = "/etc/kubernetes/encryption"
	EncryptionConfigPath = "/etc/kubernetes/encryption/config.yaml"
	AuditPolicyDir       = "/etc/kubernetes/audit"
	AuditPolicyPath      = "/etc/kubernetes/audit/policy.yaml"
	// AuditLogDir is the apiserver's audit log directory (CIS 1.2.16-19); the apiserver
	// rotates audit.log into it.
	AuditLogDir  = "/var/log/kubernetes/audit"
	AuditLogPath = "/var/log/kubernetes/audit/audit.log"
)

// The drop-ins of kubelet.service, applied in name order, and the files named after a static
// pod, a firewalld service or zone. Renderers and emitters take these names from here only.
const (
	KubeletKubeadmDropInPath         = KubeletDropInDir + "/10-kubeadm.conf"
	KubeletAccountingDropInPath      = KubeletDropInDir + "/11-accounting.conf"
	KubeletReservedCgroupsDropInPath = KubeletDropInDir + "/12-reserved-cgroups.conf"
	// The name kubeadm's HA etcd guide uses: it sorts after 10-kubeadm.conf, so its ExecStart
	// wins even where the kubeadm package installed its own 10-kubeadm.conf.
	KubeletEtcdServiceManagerDropInPath = KubeletDropInDir + "/20-etcd-service-manager.conf"
	// proxyDropIn names the proxy drop-in, of the kubelet and the runtime's services alike.
	proxyDropIn          = "http-proxy.conf"
	FirewalldServicesDir = FirewalldDir + "/services"
	FirewalldZonesDir    = FirewalldDir + "/zones"
)

// ProxyDropInPath returns the path of the proxy drop-in of the systemd unit (kubelet.service,
// containerd.service, ...).
func ProxyDropInPath(unit string) string {
	return path.Join(SystemdUnitDir, unit+".d", proxyDropIn)
}

// StaticPodManifestPath returns the path of the static pod's manifest (kube-apiserver, etcd, ...).
func StaticPodManifestPath(pod string) string { return path.Join(ManifestsDir, pod+".yaml") }

// FirewalldServicePath returns the path of the firewalld service's definition.
func FirewalldServicePath(service string) string {
	return path.Join(FirewalldServicesDir, service+".xml")
}

// FirewalldZonePath returns the path of the firewalld zone's definition.
func FirewalldZonePath(zone string) string { return path.Join(FirewalldZonesDir, zone+".xml") }

// The apiserver's admission and authentication configurations (apiServer.admission,
// apiServer.authentication), each in a directory of its own mounted read-only, root only.
const (
	AdmissionConfigDir       = "/etc/kubernetes/admission"
	AdmissionConfigPath      = "/etc/kubernetes/admission/config.yaml"
	AuthenticationConfigDir  = "/etc/kubernetes/authentication"
	AuthenticationConfigPath = "/etc/kubernetes/authentication/config.yaml"
)
