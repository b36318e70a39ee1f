package cis

import (
	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// Sections of the CIS Kubernetes Benchmark v1.11.
const (
	secFiles      = "1.1 Control Plane Node Configuration Files"
	secAPIServer  = "1.2 API Server"
	secCM         = "1.3 Controller Manager"
	secScheduler  = "1.4 Scheduler"
	secEtcd       = "2 Etcd Node Configuration"
	secAuthn      = "3.1 Authentication and Authorization"
	secLogging    = "3.2 Logging"
	secNodeFiles  = "4.1 Worker Node Configuration Files"
	secKubelet    = "4.2 Kubelet"
	secProxy      = "4.3 kube-proxy"
	secRBAC       = "5.1 RBAC and Service Accounts"
	secPSS        = "5.2 Pod Security Standards"
	secNetpol     = "5.3 Network Policies and CNI"
	secSecrets    = "5.4 Secrets Management"
	secAdmission  = "5.5 Extensible Admission Control"
	secGeneral    = "5.6 General Policies"
	nsaSection    = "NSA/CISA Kubernetes Hardening Guide"
	notInAFile    = "decided by objects created in the running cluster, not by a file kubeforge writes"
	byPodSecurity = "decided per namespace by Pod Security admission (apiServer.admission.podSecurity, once available) and the workloads' own specs"
)

// The description fields that fix controls.
func apiArg(flag string) string {
	return compiler.FieldPath("apiServer", "extraArgs", compiler.Key(flag))
}
func cmArg(flag string) string {
	return compiler.FieldPath("controllerManager", "extraArgs", compiler.Key(flag))
}
func schArg(flag string) string {
	return compiler.FieldPath("scheduler", "extraArgs", compiler.Key(flag))
}
func etcdArg(flag string) string { return compiler.FieldPath("etcd", "extraArgs", compiler.Key(flag)) }
func kubeletArg(flag string) string {
	return compiler.FieldPath("kubelet", "extraArgs", compiler.Key(flag))
}

// pkiFiles picks what is under /etc/kubernetes/pki.
var pkiFiles = filesUnder(compiler.PKIDir, "")

// adminConfs picks the administrators' kubeconfigs.
func adminConfs(h *host) []artifact.Artifact {
	return append(file(compiler.AdminConfPath)(h), file(compiler.SuperAdminConfPath)(h)...)
}

// clientCAFiles picks the kubelet's client CA file.
func clientCAFiles(h *host) []artifact.Artifact {
	var out []artifact.Artifact
	for _, p := range kubeletClientCA(h) {
		out = append(out, file(p)(h)...)
	}
	return out
}

// kubeProxyKubeconfigs picks a kube-proxy kubeconfig on the host; kubeadm's kube-proxy reads
// its own from a ConfigMap, so a bundle has none.
var kubeProxyKubeconfigs = filesUnder("/var/lib/kube-proxy", "")

var cisControls = []Control{
	{ID: "1.1.1", Section: secFiles, Target: APIServer, Title: "Ensure that the API server pod specification file permissions are set to 600 or more restrictive", Check: modeAtMost(file(manifestPath(APIServer)), 0o600, true)},
	{ID: "1.1.2", Section: secFiles, Target: APIServer, Title: "Ensure that the API server pod specification file ownership is set to root:root", Check: rootOwned(file(manifestPath(APIServer)))},
	{ID: "1.1.3", Section: secFiles, Target: ControllerManager, Title: "Ensure that the controller manager pod specification file permissions are set to 600 or more restrictive", Check: modeAtMost(file(manifestPath(ControllerManager)), 0o600, true)},
	{ID: "1.1.4", Section: secFiles, Target: ControllerManager, Title: "Ensure that the controller manager pod specification file ownership is set to root:root", Check: rootOwned(file(manifestPath(ControllerManager)))},
	{ID: "1.1.5", Section: secFiles, Target: Scheduler, Title: "Ensure that the scheduler pod specification file permissions are set to 600 or more restrictive", Check: modeAtMost(file(manifestPath(Scheduler)), 0o600, true)},
	{ID: "1.1.6", Section: secFiles, Target: Scheduler, Title: "Ensure that the scheduler pod specification file ownership is set to root:root", Check: rootOwned(file(manifestPath(Scheduler)))},
	{ID: "1.1.7", Section: secFiles, Target: Etcd, Title: "Ensure that the etcd pod specification file permissions are set to 600 or more restrictive", Check: modeAtMost(file(manifestPath(Etcd)), 0o600, true)},
	{ID: "1.1.8", Section: secFiles, Target: Etcd, Title: "Ensure that the etcd pod specification file ownership is set to root:root", Check: rootOwned(file(manifestPath(Etcd)))},
	{ID: "1.1.9", Section: secFiles, Title: "Ensure that the Container Network Interface file permissions are set to 600 or more restrictive", Manual: "kubeforge writes no CNI configuration: the network plugin installs it"},
	{ID: "1.1.10", Section: secFiles, Title: "Ensure that the Container Network Interface file ownership is set to root:root", Manual: "kubeforge writes no CNI configuration: the network plugin installs it"},
	{ID: "1.1.11", Section: secFiles, Target: Etcd, Field: "etcd.dataDir", Title: "Ensure that the etcd data directory permissions are set to 700 or more restrictive", Check: modeAtMost(etcdDataDir, 0o700, true)},
	{ID: "1.1.12", Section: secFiles, Target: Etcd, Title: "Ensure that the etcd data directory ownership is set to etcd:etcd", Check: etcdDataDirOwner},
	{ID: "1.1.13", Section: secFiles, Target: APIServer, Title: "Ensure that the default administrative credential file permissions are set to 600", Check: modeAtMost(adminConfs, 0o600, true)},
	{ID: "1.1.14", Section: secFiles, Target: APIServer, Title: "Ensure that the default administrative credential file ownership is set to root:root", Check: rootOwned(adminConfs)},
	{ID: "1.1.15", Section: secFiles, Target: Scheduler, Title: "Ensure that the scheduler.conf file permissions are set to 600 or more restrictive", Check: modeAtMost(file(compiler.SchedulerConfPath), 0o600, true)},
	{ID: "1.1.16", Section: secFiles, Target: Scheduler, Title: "Ensure that the scheduler.conf file ownership is set to root:root", Check: rootOwned(file(compiler.SchedulerConfPath))},
	{ID: "1.1.17", Section: secFiles, Target: ControllerManager, Title: "Ensure that the controller-manager.conf file permissions are set to 600 or more restrictive", Check: modeAtMost(file(compiler.ControllerManagerConfPath), 0o600, true)},
	{ID: "1.1.18", Section: secFiles, Target: ControllerManager, Title: "Ensure that the controller-manager.conf file ownership is set to root:root", Check: rootOwned(file(compiler.ControllerManagerConfPath))},
	{ID: "1.1.19", Section: secFiles, Target: APIServer, Title: "Ensure that the Kubernetes PKI directory and file ownership is set to root:root", Check: rootOwned(pkiFiles)},
	{ID: "1.1.20", Section: secFiles, Target: APIServer, Title: "Ensure that the Kubernetes PKI certificate file permissions are set to 644 or more restrictive", Check: modeAtMost(filesUnder(compiler.PKIDir, ".crt"), 0o644, false)},
	{ID: "1.1.21", Section: secFiles, Target: APIServer, Title: "Ensure that the Kubernetes PKI key file permissions are set to 600", Check: modeAtMost(filesUnder(compiler.PKIDir, ".key"), 0o600, false)},

	{ID: "1.2.1", Section: secAPIServer, Target: APIServer, Field: apiArg("anonymous-auth"), Title: "Ensure that the --anonymous-auth argument is set to false", Check: anonymousAuthOff},
	{ID: "1.2.2", Section: secAPIServer, Target: APIServer, Field: apiArg("token-auth-file"), Title: "Ensure that the --token-auth-file parameter is not set", Check: argUnset(APIServer, "token-auth-file")},
	{ID: "1.2.3", Section: secAPIServer, Target: APIServer, Field: apiArg("enable-admission-plugins"), Title: "Ensure that the --DenyServiceExternalIPs is set", Check: listHas(APIServer, "enable-admission-plugins", "DenyServiceExternalIPs")},
	{ID: "1.2.4", Section: secAPIServer, Target: APIServer, Title: "Ensure that the --kubelet-client-certificate and --kubelet-client-key arguments are set as appropriate", Check: argsSet(APIServer, "kubelet-client-certificate", "kubelet-client-key")},
	{ID: "1.2.5", Section: secAPIServer, Target: APIServer, Field: apiArg("kubelet-certificate-authority"), Title: "Ensure that the --kubelet-certificate-authority argument is set as appropriate", Check: argsSet(APIServer, "kubelet-certificate-authority")},
	{ID: "1.2.6", Section: secAPIServer, Target: APIServer, Field: apiArg("authorization-mode"), Title: "Ensure that the --authorization-mode argument is not set to AlwaysAllow", Check: listLacks(APIServer, "authorization-mode", "AlwaysAllow")},
	{ID: "1.2.7", Section: secAPIServer, Target: APIServer, Field: apiArg("authorization-mode"), Title: "Ensure that the --authorization-mode argument includes Node", Check: listHas(APIServer, "authorization-mode", "Node")},
	{ID: "1.2.8", Section: secAPIServer, Target: APIServer, Field: apiArg("authorization-mode"), Title: "Ensure that the --authorization-mode argument includes RBAC", Check: listHas(APIServer, "authorization-mode", "RBAC")},
	{ID: "1.2.9", Section: secAPIServer, Target: APIServer, Field: apiArg("enable-admission-plugins"), Title: "Ensure that the admission control plugin EventRateLimit is set", Check: listHas(APIServer, "enable-admission-plugins", "EventRateLimit")},
	{ID: "1.2.10", Section: secAPIServer, Target: APIServer, Field: apiArg("enable-admission-plugins"), Title: "Ensure that the admission control plugin AlwaysAdmit is not set", Check: listLacks(APIServer, "enable-admission-plugins", "AlwaysAdmit")},
	{ID: "1.2.11", Section: secAPIServer, Target: APIServer, Field: apiArg("enable-admission-plugins"), Title: "Ensure that the admission control plugin AlwaysPullImages is set", Check: listHas(APIServer, "enable-admission-plugins", "AlwaysPullImages")},
	{ID: "1.2.12", Section: secAPIServer, Target: APIServer, Field: apiArg("disable-admission-plugins"), Title: "Ensure that the admission control plugin ServiceAccount is set", Check: listLacks(APIServer, "disable-admission-plugins", "ServiceAccount")},
	{ID: "1.2.13", Section: secAPIServer, Target: APIServer, Field: apiArg("disable-admission-plugins"), Title: "Ensure that the admission control plugin NamespaceLifecycle is set", Check: listLacks(APIServer, "disable-admission-plugins", "NamespaceLifecycle")},
	{ID: "1.2.14", Section: secAPIServer, Target: APIServer, Field: apiArg("enable-admission-plugins"), Title: "Ensure that the admission control plugin NodeRestriction is set", Check: listHas(APIServer, "enable-admission-plugins", "NodeRestriction")},
	{ID: "1.2.15", Section: secAPIServer, Target: APIServer, Field: apiArg("profiling"), Title: "Ensure that the --profiling argument is set to false", Check: argIs(APIServer, "profiling", "false", "true")},
	{ID: "1.2.16", Section: secAPIServer, Target: APIServer, Field: "apiServer.audit", Title: "Ensure that the --audit-log-path argument is set", Check: argsSet(APIServer, "audit-log-path")},
	{ID: "1.2.17", Section: secAPIServer, Target: APIServer, Field: "apiServer.audit.maxAge", Title: "Ensure that the --audit-log-maxage argument is set to 30 or as appropriate", Check: argAtLeast(APIServer, "audit-log-maxage", 30)},
	{ID: "1.2.18", Section: secAPIServer, Target: APIServer, Field: "apiServer.audit.maxBackup", Title: "Ensure that the --audit-log-maxbackup argument is set to 10 or as appropriate", Check: argAtLeast(APIServer, "audit-log-maxbackup", 10)},
	{ID: "1.2.19", Section: secAPIServer, Target: APIServer, Field: "apiServer.audit.maxSize", Title: "Ensure that the --audit-log-maxsize argument is set to 100 or as appropriate", Check: argAtLeast(APIServer, "audit-log-maxsize", 100)},
	{ID: "1.2.20", Section: secAPIServer, Field: apiArg("request-timeout"), Title: "Ensure that the --request-timeout argument is set as appropriate", Manual: "\"as appropriate\" is the site's decision; the default is 60s"},
	{ID: "1.2.21", Section: secAPIServer, Target: APIServer, Field: apiArg("service-account-lookup"), Title: "Ensure that the --service-account-lookup argument is set to true", Check: argIs(APIServer, "service-account-lookup", "true", "true")},
	{ID: "1.2.22", Section: secAPIServer, Target: APIServer, Title: "Ensure that the --service-account-key-file argument is set as appropriate", Check: argsSet(APIServer, "service-account-key-file")},
	{ID: "1.2.23", Section: secAPIServer, Target: APIServer, Title: "Ensure that the --etcd-certfile and --etcd-keyfile arguments are set as appropriate", Check: argsSet(APIServer, "etcd-certfile", "etcd-keyfile")},
	{ID: "1.2.24", Section: secAPIServer, Target: APIServer, Title: "Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate", Check: argsSet(APIServer, "tls-cert-file", "tls-private-key-file")},
	{ID: "1.2.25", Section: secAPIServer, Target: APIServer, Title: "Ensure that the --client-ca-file argument is set as appropriate", Check: argsSet(APIServer, "client-ca-file")},
	{ID: "1.2.26", Section: secAPIServer, Target: APIServer, Title: "Ensure that the --etcd-cafile argument is set as appropriate", Check: argsSet(APIServer, "etcd-cafile")},
	{ID: "1.2.27", Section: secAPIServer, Target: APIServer, Field: "apiServer.encryptionAtRest", Title: "Ensure that the --encryption-provider-config argument is set as appropriate", Check: argsSet(APIServer, "encryption-provider-config")},
	{ID: "1.2.28", Section: secAPIServer, Target: APIServer, Field: "apiServer.encryptionAtRest.provider", Title: "Ensure that encryption providers are appropriately configured", Check: encryptionProviders},
	{ID: "1.2.29", Section: secAPIServer, Target: APIServer, Field: apiArg("tls-cipher-suites"), Title: "Ensure that the API Server only makes use of Strong Cryptographic Ciphers", Check: func(h *host) verdict {
		return within(manifestPath(APIServer)+": --tls-cipher-suites", h.argList(APIServer, "tls-cipher-suites"), strongCiphers)
	}},
	{ID: "1.2.30", Section: secAPIServer, Target: APIServer, Field: apiArg("service-account-extend-token-expiration"), Title: "Ensure that the --service-account-extend-token-expiration parameter is set to false", Check: argIs(APIServer, "service-account-extend-token-expiration", "false", "true")},

	{ID: "1.3.1", Section: secCM, Target: ControllerManager, Field: cmArg("terminated-pod-gc-threshold"), Title: "Ensure that the --terminated-pod-gc-threshold argument is set as appropriate", Check: argsSet(ControllerManager, "terminated-pod-gc-threshold")},
	{ID: "1.3.2", Section: secCM, Target: ControllerManager, Field: cmArg("profiling"), Title: "Ensure that the --profiling argument is set to false", Check: argIs(ControllerManager, "profiling", "false", "true")},
	{ID: "1.3.3", Section: secCM, Target: ControllerManager, Field: cmArg("use-service-account-credentials"), Title: "Ensure that the --use-service-account-credentials argument is set to true", Check: argIs(ControllerManager, "use-service-account-credentials", "true", "false")},
	{ID: "1.3.4", Section: secCM, Target: ControllerManager, Title: "Ensure that the --service-account-private-key-file argument is set as appropriate", Check: argsSet(ControllerManager, "service-account-private-key-file")},
	{ID: "1.3.5", Section: secCM, Target: ControllerManager, Title: "Ensure that the --root-ca-file argument is set as appropriate", Check: argsSet(ControllerManager, "root-ca-file")},
	{ID: "1.3.6", Section: secCM, Target: ControllerManager, Field: cmArg("feature-gates"), Title: "Ensure that the RotateKubeletServerCertificate argument is set to true", Check: gateNotOff(ControllerManager, "RotateKubeletServerCertificate")},
	{ID: "1.3.7", Section: secCM, Target: ControllerManager, Field: cmArg("bind-address"), Title: "Ensure that the --bind-address argument is set to 127.0.0.1", Check: argIs(ControllerManager, "bind-address", "127.0.0.1", "0.0.0.0")},
	{ID: "1.4.1", Section: secScheduler, Target: Scheduler, Field: schArg("profiling"), Title: "Ensure that the --profiling argument is set to false", Check: argIs(Scheduler, "profiling", "false", "true")},
	{ID: "1.4.2", Section: secScheduler, Target: Scheduler, Field: schArg("bind-address"), Title: "Ensure that the --bind-address argument is set to 127.0.0.1", Check: argIs(Scheduler, "bind-address", "127.0.0.1", "0.0.0.0")},

	{ID: "2.1", Section: secEtcd, Target: Etcd, Title: "Ensure that the --cert-file and --key-file arguments are set as appropriate", Check: argsSet(Etcd, "cert-file", "key-file")},
	{ID: "2.2", Section: secEtcd, Target: Etcd, Field: etcdArg("client-cert-auth"), Title: "Ensure that the --client-cert-auth argument is set to true", Check: argIs(Etcd, "client-cert-auth", "true", "false")},
	{ID: "2.3", Section: secEtcd, Target: Etcd, Field: etcdArg("auto-tls"), Title: "Ensure that the --auto-tls argument is not set to true", Check: argNot(Etcd, "auto-tls", "true")},
	{ID: "2.4", Section: secEtcd, Target: Etcd, Title: "Ensure that the --peer-cert-file and --peer-key-file arguments are set as appropriate", Check: argsSet(Etcd, "peer-cert-file", "peer-key-file")},
	{ID: "2.5", Section: secEtcd, Target: Etcd, Field: etcdArg("peer-client-cert-auth"), Title: "Ensure that the --peer-client-cert-auth argument is set to true", Check: argIs(Etcd, "peer-client-cert-auth", "true", "false")},
	{ID: "2.6", Section: secEtcd, Target: Etcd, Field: etcdArg("peer-auto-tls"), Title: "Ensure that the --peer-auto-tls argument is not set to true", Check: argNot(Etcd, "peer-auto-tls", "true")},
	{ID: "2.7", Section: secEtcd, Target: Etcd, Title: "Ensure that a unique Certificate Authority is used for etcd", Check: uniqueEtcdCA},

	{ID: "3.1.1", Section: secAuthn, Title: "Client certificate authentication should not be used for users", Manual: "kubeforge issues admin.conf and super-admin.conf with client certificates for bootstrapping, as kubeadm does; give users OIDC (apiServer.authentication) and keep these files offline"},
	{ID: "3.1.2", Section: secAuthn, Title: "Service account token authentication should not be used for users", Manual: notInAFile},
	{ID: "3.1.3", Section: secAuthn, Title: "Bootstrap token authentication should not be used for users", Manual: notInAFile},
	{ID: "3.2.1", Section: secLogging, Target: APIServer, Field: "apiServer.audit", Title: "Ensure that a minimal audit policy is created", Check: auditPolicy},
	{ID: "3.2.2", Section: secLogging, Field: "apiServer.audit.policy", Title: "Ensure that the audit policy covers key security concerns", Manual: "whether a policy covers a site's concerns needs reading it; kubeforge's default records Metadata of every request and no bodies"},

	{ID: "4.1.1", Section: secNodeFiles, Target: Kubelet, Title: "Ensure that the kubelet service file permissions are set to 600 or more restrictive", Check: modeAtMost(unitFiles, 0o600, true)},
	{ID: "4.1.2", Section: secNodeFiles, Target: Kubelet, Title: "Ensure that the kubelet service file ownership is set to root:root", Check: rootOwned(unitFiles)},
	{ID: "4.1.3", Section: secNodeFiles, Target: Kubelet, Title: "If proxy kubeconfig file exists ensure permissions are set to 600 or more restrictive", Check: modeAtMost(kubeProxyKubeconfigs, 0o600, false)},
	{ID: "4.1.4", Section: secNodeFiles, Target: Kubelet, Title: "If proxy kubeconfig file exists ensure ownership is set to root:root", Check: rootOwned(kubeProxyKubeconfigs)},
	{ID: "4.1.5", Section: secNodeFiles, Target: Kubelet, Title: "Ensure that the --kubeconfig kubelet.conf file permissions are set to 600 or more restrictive", Check: modeAtMost(file(compiler.KubeletConfPath), 0o600, false)},
	{ID: "4.1.6", Section: secNodeFiles, Target: Kubelet, Title: "Ensure that the --kubeconfig kubelet.conf file ownership is set to root:root", Check: rootOwned(file(compiler.KubeletConfPath))},
	{ID: "4.1.7", Section: secNodeFiles, Target: Kubelet, Field: "kubelet.clientCAFile", Title: "Ensure that the certificate authorities file permissions are set to 644 or more restrictive", Check: modeAtMost(clientCAFiles, 0o644, false)},
	{ID: "4.1.8", Section: secNodeFiles, Target: Kubelet, Field: "kubelet.clientCAFile", Title: "Ensure that the client certificate authorities file ownership is set to root:root", Check: rootOwned(clientCAFiles)},
	{ID: "4.1.9", Section: secNodeFiles, Target: Kubelet, Title: "If the kubelet config.yaml configuration file is being used validate permissions set to 600 or more restrictive", Check: modeAtMost(file(compiler.KubeletConfigPath), 0o600, true)},
	{ID: "4.1.10", Section: secNodeFiles, Target: Kubelet, Title: "If the kubelet config.yaml configuration file is being used validate file ownership is set to root:root", Check: rootOwned(file(compiler.KubeletConfigPath))},

	{ID: "4.2.1", Section: secKubelet, Target: Kubelet, Field: "kubelet.anonymousAuth", Title: "Ensure that the --anonymous-auth argument is set to false", Check: kubeletIs("anonymous-auth", anonymousAuth, "false", "false")},
	{ID: "4.2.2", Section: secKubelet, Target: Kubelet, Field: "kubelet.authorizationMode", Title: "Ensure that the --authorization-mode argument is not set to AlwaysAllow", Check: kubeletNot("authorization-mode", authzMode, "AlwaysAllow")},
	{ID: "4.2.3", Section: secKubelet, Target: Kubelet, Field: "kubelet.clientCAFile", Title: "Ensure that the --client-ca-file argument is set as appropriate", Check: kubeletSet("client-ca-file", clientCAFile)},
	{ID: "4.2.4", Section: secKubelet, Target: Kubelet, Field: "kubelet.readOnlyPort", Title: "Verify that if defined, the --read-only-port argument is set to 0", Check: kubeletIs("read-only-port", readOnlyPort, "0", "0")},
	{ID: "4.2.5", Section: secKubelet, Target: Kubelet, Field: kubeletArg("streaming-connection-idle-timeout"), Title: "Ensure that the --streaming-connection-idle-timeout argument is not set to 0", Check: streamingTimeoutOn},
	{ID: "4.2.6", Section: secKubelet, Target: Kubelet, Field: kubeletArg("make-iptables-util-chains"), Title: "Ensure that the --make-iptables-util-chains argument is set to true", Check: kubeletIs("make-iptables-util-chains", makeIPTablesChains, "true", "true")},
	{ID: "4.2.7", Section: secKubelet, Target: Kubelet, Field: "hosts[].nodeName", Title: "Ensure that the --hostname-override argument is not set", Check: kubeletFlagUnset("hostname-override")},
	{ID: "4.2.8", Section: secKubelet, Target: Kubelet, Field: kubeletArg("event-qps"), Title: "Ensure that the eventRecordQPS argument is set to a level which ensures appropriate event capture", Check: eventQPS},
	{ID: "4.2.9", Section: secKubelet, Target: Kubelet, Title: "Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate", Check: all(kubeletSet("tls-cert-file", tlsCertFile), kubeletSet("tls-private-key-file", tlsKeyFile))},
	{ID: "4.2.10", Section: secKubelet, Target: Kubelet, Field: "kubelet.rotateCertificates", Title: "Ensure that the --rotate-certificates argument is not set to false", Check: rotatesCertificates},
	{ID: "4.2.11", Section: secKubelet, Target: Kubelet, Field: "kubelet.featureGates", Title: "Verify that the RotateKubeletServerCertificate argument is set to true", Check: serverCertRotationOn},
	{ID: "4.2.12", Section: secKubelet, Target: Kubelet, Field: kubeletArg("tls-cipher-suites"), Title: "Ensure that the Kubelet only makes use of Strong Cryptographic Ciphers", Check: kubeletCiphers},
	{ID: "4.2.13", Section: secKubelet, Target: Kubelet, Field: kubeletArg("pod-max-pids"), Title: "Ensure that a limit is set on pod PIDs", Check: podPidsLimited},
	{ID: "4.2.14", Section: secKubelet, Target: Kubelet, Field: kubeletArg("seccomp-default"), Title: "Ensure that the --seccomp-default parameter is set to true", Check: kubeletIs("seccomp-default", seccompDefault, "true", "false")},
	{ID: "4.2.15", Section: secKubelet, Title: "Ensure that the --IPAddressDeny is set to any", Manual: "IPAddressDeny is a systemd directive, not a kubelet setting; denying all addresses to the kubelet's unit would cut it off from the apiserver, so this needs a per-site allow list"},
	{ID: "4.3.1", Section: secProxy, Target: ClusterBundle, Title: "Ensure that the kube-proxy metrics service is bound to localhost", Check: kubeProxyMetricsLocal},

	{ID: "5.1.1", Section: secRBAC, Title: "Ensure that the cluster-admin role is only used where required", Manual: notInAFile},
	{ID: "5.1.2", Section: secRBAC, Title: "Minimize access to secrets", Manual: notInAFile},
	{ID: "5.1.3", Section: secRBAC, Title: "Minimize wildcard use in Roles and ClusterRoles", Manual: notInAFile},
	{ID: "5.1.4", Section: secRBAC, Title: "Minimize access to create pods", Manual: notInAFile},
	{ID: "5.1.5", Section: secRBAC, Title: "Ensure that default service accounts are not actively used", Manual: notInAFile},
	{ID: "5.1.6", Section: secRBAC, Title: "Ensure that Service Account Tokens are only mounted where necessary", Manual: notInAFile},
	{ID: "5.1.7", Section: secRBAC, Title: "Avoid use of system:masters group", Manual: "super-admin.conf (system:masters) exists on the first control-plane host for bootstrapping, as kubeadm's; keep it offline after the cluster is up"},
	{ID: "5.1.8", Section: secRBAC, Title: "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster", Manual: notInAFile},
	{ID: "5.1.9", Section: secRBAC, Title: "Minimize access to create persistent volumes", Manual: notInAFile},
	{ID: "5.1.10", Section: secRBAC, Title: "Minimize access to the proxy sub-resource of nodes", Manual: notInAFile},
	{ID: "5.1.11", Section: secRBAC, Title: "Minimize access to the approval sub-resource of certificatesigningrequests objects", Manual: notInAFile},
	{ID: "5.1.12", Section: secRBAC, Title: "Minimize access to webhook configuration objects", Manual: notInAFile},
	{ID: "5.1.13", Section: secRBAC, Title: "Minimize access to the service account token creation", Manual: notInAFile},
	{ID: "5.2.1", Section: secPSS, Field: "apiServer.admission.podSecurity", Title: "Ensure that the cluster has at least one active policy control mechanism in place", Manual: byPodSecurity},
	{ID: "5.2.2", Section: secPSS, Title: "Minimize the admission of privileged containers", Manual: byPodSecurity},
	{ID: "5.2.3", Section: secPSS, Title: "Minimize the admission of containers wishing to share the host process ID namespace", Manual: byPodSecurity},
	{ID: "5.2.4", Section: secPSS, Title: "Minimize the admission of containers wishing to share the host IPC namespace", Manual: byPodSecurity},
	{ID: "5.2.5", Section: secPSS, Title: "Minimize the admission of containers wishing to share the host network namespace", Manual: byPodSecurity},
	{ID: "5.2.6", Section: secPSS, Title: "Minimize the admission of containers with allowPrivilegeEscalation", Manual: byPodSecurity},
	{ID: "5.2.7", Section: secPSS, Title: "Minimize the admission of root containers", Manual: byPodSecurity},
	{ID: "5.2.8", Section: secPSS, Title: "Minimize the admission of containers with the NET_RAW capability", Manual: byPodSecurity},
	{ID: "5.2.9", Section: secPSS, Title: "Minimize the admission of containers with added capabilities", Manual: byPodSecurity},
	{ID: "5.2.10", Section: secPSS, Title: "Minimize the admission of containers with capabilities assigned", Manual: byPodSecurity},
	{ID: "5.2.11", Section: secPSS, Title: "Minimize the admission of Windows HostProcess containers", Manual: byPodSecurity},
	{ID: "5.2.12", Section: secPSS, Title: "Minimize the admission of HostPath volumes", Manual: byPodSecurity},
	{ID: "5.2.13", Section: secPSS, Title: "Minimize the admission of containers which use HostPorts", Manual: byPodSecurity},
	{ID: "5.3.1", Section: secNetpol, Title: "Ensure that the CNI in use supports NetworkPolicies", Manual: "kubeforge installs no CNI plugin"},
	{ID: "5.3.2", Section: secNetpol, Title: "Ensure that all Namespaces have NetworkPolicies defined", Manual: notInAFile},
	{ID: "5.4.1", Section: secSecrets, Title: "Prefer using Secrets as files over Secrets as environment variables", Manual: notInAFile},
	{ID: "5.4.2", Section: secSecrets, Title: "Consider external secret storage", Manual: notInAFile},
	{ID: "5.5.1", Section: secAdmission, Title: "Configure Image Provenance using ImagePolicyWebhook admission controller", Manual: "needs an image policy webhook service, which no file of kubeforge provides"},
	{ID: "5.6.1", Section: secGeneral, Title: "Create administrative boundaries between resources using namespaces", Manual: notInAFile},
	{ID: "5.6.2", Section: secGeneral, Field: kubeletArg("seccomp-default"), Title: "Ensure that the seccomp profile is set to docker/default in your Pod definitions", Manual: "decided by each Pod's spec; kubelet seccomp-default (4.2.14) makes RuntimeDefault the default"},
	{ID: "5.6.3", Section: secGeneral, Title: "Apply SecurityContext to your Pods and Containers", Manual: notInAFile},
	{ID: "5.6.4", Section: secGeneral, Title: "The default namespace should not be used", Manual: notInAFile},
}
