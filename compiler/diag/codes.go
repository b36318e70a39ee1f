package diag

import (
	"fmt"
	"strings"
)

// Code is a diagnostic's stable name: "KF" and four digits, the first two naming the check
// family. The wording of a diagnostic may change; its code does not. Tests, CI filters and
// users key on codes. A number, once given, is never given to another check: a check that
// goes away keeps its row, marked Retired.
type Code string

// Info documents a code.
type Info struct {
	Code     Code
	Severity Severity
	// Title says what the check finds, in the list of codes (codes.md).
	Title string
	// Retired marks a code no check reports any more; its number stays taken.
	Retired bool
}

// Family is a range of codes: the checks of one subject.
type Family struct {
	Prefix string // "KF12"
	Name   string
}

// Families are the check families, in the order of their codes.
var Families = []Family{
	{"KF00", "Reading files (exit code 2: the description could not be read, it is not invalid)"},
	{"KF01", "Text and syntax of a file"},
	{"KF02", "The schema"},
	{"KF03", "Strings"},
	{"KF09", "kubeforge itself"},
	{"KF10", "Single values"},
	{"KF11", "Hosts"},
	{"KF12", "Networks"},
	{"KF13", "etcd"},
	{"KF14", "The control-plane endpoint"},
	{"KF15", "The kubelet"},
	{"KF16", "Component flags"},
	{"KF17", "Security (warnings)"},
	{"KF18", "PKI"},
	{"KF19", "Ports, sysctls and paths"},
	{"KF20", "Container runtime"},
	{"KF21", "Image credential providers"},
	{"KF22", "Apiserver security files (encryption at rest, audit)"},
	{"KF23", "Admission and authentication configuration"},
	{"KF24", "Benchmark waivers (checks.waive)"},
	{"KF25", "Version skew"},
}

// The codes, by family. A new check takes the next free number of its family.
const (
	CodeIO              Code = "KF0001"
	CodeUnknownFileType Code = "KF0002"
	CodeNoDescription   Code = "KF0003"

	CodeInvalidUTF8        Code = "KF0101"
	CodeLoneCarriageReturn Code = "KF0102"
	CodeControlCharacter   Code = "KF0103"
	CodeMisplacedBOM       Code = "KF0104"
	CodeLineSeparator      Code = "KF0105"
	CodeBidiControl        Code = "KF0106"
	CodeYAMLSyntax         Code = "KF0110"
	CodeJSONSyntax         Code = "KF0111"
	CodeCUESyntax          Code = "KF0112"
	CodeCUEPackages        Code = "KF0113"
	CodeEmptyDescription   Code = "KF0114"
	CodeYAMLDocuments      Code = "KF0115"
	CodeDuplicateKey       Code = "KF0120"
	CodeNestedTooDeep      Code = "KF0121"
	CodeListTooLong        Code = "KF0122"
	CodeMappingTooLarge    Code = "KF0123"
	CodeNumberOutOfRange   Code = "KF0124"

	CodeUnknownField      Code = "KF0201"
	CodeInvalidKey        Code = "KF0202"
	CodeMissingField      Code = "KF0203"
	CodeNotConcrete       Code = "KF0204"
	CodeWrongKind         Code = "KF0205"
	CodeConflictingValues Code = "KF0206"
	CodeInvalidValue      Code = "KF0207"
	CodeListTooShort      Code = "KF0208"
	CodeSchemaMismatch    Code = "KF0209"
	CodeNotAMapping       Code = "KF0210"

	CodeForbiddenCharacter Code = "KF0301"

	CodeInternal Code = "KF0901"

	CodeUnsupportedVersion  Code = "KF1001"
	CodeInvalidPortRange    Code = "KF1002"
	CodeInvalidCIDR         Code = "KF1003"
	CodeCIDRHostBits        Code = "KF1004"
	CodeInvalidDuration     Code = "KF1005"
	CodeInvalidAddress      Code = "KF1006"
	CodeIPv4MappedAddress   Code = "KF1007"
	CodeUnknownGroup        Code = "KF1008"
	CodeInvalidEndpointPort Code = "KF1009"

	CodeDuplicateHostName     Code = "KF1101"
	CodeDuplicateNodeName     Code = "KF1102"
	CodeDuplicateAddress      Code = "KF1103"
	CodeUnusableHostAddress   Code = "KF1104"
	CodeNoControlPlane        Code = "KF1105"
	CodeReservedHostName      Code = "KF1106"
	CodeHostNameLikeManifest  Code = "KF1107"
	CodeHostNameTooLong       Code = "KF1108"
	CodeInvalidDNSName        Code = "KF1109"
	CodeNodeNameTooLong       Code = "KF1110"
	CodeMissingAddressFamily  Code = "KF1111"
	CodeNetworksOverlap       Code = "KF1201"
	CodeNetworksOfOneFamily   Code = "KF1202"
	CodePrimaryFamilyMismatch Code = "KF1203"
	CodeUnusableNetwork       Code = "KF1204"
	CodeAddressInNetwork      Code = "KF1205"
	CodeNodeMaskTooShort      Code = "KF1206"
	CodeNodeMaskTooFar        Code = "KF1207"
	CodePodSubnetTooSmall     Code = "KF1208"
	CodeMaxPodsBeyondNodeCIDR Code = "KF1209"
	CodeServiceSubnetTooLarge Code = "KF1210"
	CodeServiceSubnetTooSmall Code = "KF1211"
	CodeNodeCIDRsWithoutPods  Code = "KF1212"
	CodeNodeCIDRsOff          Code = "KF1213"

	CodeExternalEtcdMissing     Code = "KF1301"
	CodeExternalEtcdUnused      Code = "KF1302"
	CodeEtcdRoleNotDedicated    Code = "KF1303"
	CodeDedicatedWithoutEtcd    Code = "KF1304"
	CodeEvenEtcdMembers         Code = "KF1305"
	CodeManyEtcdMembers         Code = "KF1306"
	CodeExternalEtcdCA          Code = "KF1307"
	CodeExternalEtcdCert        Code = "KF1308"
	CodeExternalEtcdKey         Code = "KF1309"
	CodeExternalEtcdKeyMismatch Code = "KF1310"

	CodeEndpointRequired    Code = "KF1401"
	CodeInvalidSAN          Code = "KF1402"
	CodeInvalidEndpointHost Code = "KF1403"
	CodeLoopbackEndpoint    Code = "KF1404"
	CodeUnusableEndpoint    Code = "KF1405"

	CodeCgroupDriverMismatch   Code = "KF1501"
	CodeReservedCgroupMissing  Code = "KF1502"
	CodeEnforceNoneWithOthers  Code = "KF1503"
	CodeImageGCThresholds      Code = "KF1504"
	CodeWebhookOnStandalone    Code = "KF1505"
	CodeWebhookWithoutClientCA Code = "KF1506"

	CodeManagedFlag Code = "KF1601"
	CodeUnknownFlag Code = "KF1602"

	CodeKubeletAnonymousAuth   Code = "KF1701"
	CodeKubeletAlwaysAllow     Code = "KF1702"
	CodeKubeletReadOnlyPort    Code = "KF1703"
	CodeAPIServerAnonymousAuth Code = "KF1704"
	CodeAPIServerAlwaysAllow   Code = "KF1705"
	CodeAPIServerWithoutNode   Code = "KF1706"
	CodeAdmissionReplaced      Code = "KF1707"
	CodeNodeRestrictionOff     Code = "KF1708"
	CodeEtcdClientCertAuthOff  Code = "KF1709"

	CodeValidityTooShort Code = "KF1801"
	CodeValidityTooLong  Code = "KF1802"
	CodeCertOutlivesCA   Code = "KF1803"

	CodePortOverlap        Code = "KF1901"
	CodeSysctlBreaks       Code = "KF1902"
	CodeUncleanPath        Code = "KF1903"
	CodeEtcdDataDirShared  Code = "KF1904"
	CodeComponentDirShared Code = "KF1905"

	CodeContainerdNoDropIn        Code = "KF2001"
	CodeNotARegistry              Code = "KF2002"
	CodeRegistryNameTooLong       Code = "KF2003"
	CodeRegistryPort              Code = "KF2004"
	CodeRegistryAddress           Code = "KF2005"
	CodeMirrorsUnsupported        Code = "KF2006"
	CodeMirrorTwice               Code = "KF2007"
	CodeMirrorPort                Code = "KF2008"
	CodeMirrorAddress             Code = "KF2009"
	CodeMirrorNotHTTPS            Code = "KF2010"
	CodePlainHTTPOnHTTPS          Code = "KF2011"
	CodeMirrorPlainHTTP           Code = "KF2012"
	CodeMirrorSkipVerify          Code = "KF2013"
	CodeMirrorCAFileUnsupported   Code = "KF2014"
	CodeRegistryNamedTwice        Code = "KF2015"
	CodeImageRepositoryUnverified Code = "KF2016"

	CodeProviderNamedTwice      Code = "KF2101"
	CodeProviderCacheDuration   Code = "KF2102"
	CodeMatchImagePort          Code = "KF2103"
	CodeProviderFlagInExtraArgs Code = "KF2104"
	CodeProviderEnvSecret       Code = "KF2105"
	CodeProviderBinDirReadOnly  Code = "KF2106"

	CodeAuditPolicyInvalid      Code = "KF2201"
	CodeAuditLogWithoutPolicy   Code = "KF2202"
	CodeSecurityFileFlag        Code = "KF2203"
	CodeEncryptionKeyNamedTwice Code = "KF2204"
	CodeAuditPolicyEmpty        Code = "KF2205"
	CodeEncryptionResourceTwice Code = "KF2206"
	CodeEncryptionKeyNotReader  Code = "KF2207"
	CodeEncryptionWriterDropped Code = "KF2208"

	CodeAdmissionInvalid          Code = "KF2301"
	CodePodSecurityKubeSystem     Code = "KF2302"
	CodeAdmissionAuthnFlag        Code = "KF2303"
	CodeOIDCFlagsWithJWT          Code = "KF2304"
	CodeAuthenticationInvalid     Code = "KF2305"
	CodeIssuerCAInvalid           Code = "KF2306"
	CodeAdmissionPluginDisabled   Code = "KF2307"
	CodeAnonymousFlagWithConfig   Code = "KF2308"
	CodeUnknownControl            Code = "KF2401"
	CodeWaiverWithoutReason       Code = "KF2402"
	CodeSkewAPIServers            Code = "KF2501"
	CodeSkewControllersNewer      Code = "KF2502"
	CodeSkewControllersTooOld     Code = "KF2503"
	CodeSkewControllersOlder      Code = "KF2504"
	CodeSkewKubeletNewer          Code = "KF2505"
	CodeSkewKubeletTooOld         Code = "KF2506"
	CodeSkewKubeletThreeOlder     Code = "KF2507"
	CodeSkewBundleNewer           Code = "KF2508"
	CodeSkewBundleBehind          Code = "KF2509"
	CodeSkewKubeProxyTooOld       Code = "KF2510"
	CodeSkewKubeProxyKubelet      Code = "KF2511"
	CodeSkewKubeletOlderThanProxy Code = "KF2512"
)

// Codes is the table of codes: every code a diagnostic may carry, with its severity.
var Codes = []Info{
	{CodeIO, Error, "a file could not be read: missing, not a regular file, too large, or not readable", false},
	{CodeUnknownFileType, Error, "a file is neither .cue, .yaml, .yml nor .json", false},
	{CodeNoDescription, Error, "no description was given", false},

	{CodeInvalidUTF8, Error, "the file is not UTF-8", false},
	{CodeLoneCarriageReturn, Error, "a carriage return not followed by a line feed", false},
	{CodeControlCharacter, Error, "a control character (NUL included) other than tab and line endings", false},
	{CodeMisplacedBOM, Error, "a byte order mark elsewhere than at the start of the file", false},
	{CodeLineSeparator, Error, "a Unicode line or paragraph separator", false},
	{CodeBidiControl, Error, "a bidirectional control character, which makes text read otherwise than it parses", false},
	{CodeYAMLSyntax, Error, "a YAML syntax error", false},
	{CodeJSONSyntax, Error, "a JSON syntax error", false},
	{CodeCUESyntax, Error, "a CUE syntax error, or a CUE package that cannot be loaded", false},
	{CodeCUEPackages, Error, "CUE files of several packages", false},
	{CodeEmptyDescription, Error, "the description is empty", false},
	{CodeYAMLDocuments, Error, "several YAML documents in one file", false},
	{CodeDuplicateKey, Error, "a key appears twice in one mapping", false},
	{CodeNestedTooDeep, Error, "mappings and lists nested deeper than any description needs", false},
	{CodeListTooLong, Error, "a list longer than any description needs", false},
	{CodeMappingTooLarge, Error, "a mapping with more keys than any description needs", false},
	{CodeNumberOutOfRange, Error, "a number beyond 64 bits or a float64's range", false},

	{CodeUnknownField, Error, "a field the schema does not define (with the nearest known name)", false},
	{CodeInvalidKey, Error, "a map key the schema does not allow", false},
	{CodeMissingField, Error, "a required field is missing", false},
	{CodeNotConcrete, Error, "a CUE value that is not concrete", false},
	{CodeWrongKind, Error, "a value of the wrong kind (a string for a number, a list for a mapping)", false},
	{CodeConflictingValues, Error, "one field given two different values", false},
	{CodeInvalidValue, Error, "a value the schema refuses: not one of the allowed values, out of bounds, not matching a pattern", false},
	{CodeListTooShort, Error, "a list with fewer elements than the schema requires", false},
	{CodeSchemaMismatch, Error, "the description, or a host, does not decode into the schema's types", false},
	{CodeNotAMapping, Error, "the description is not a mapping", false},

	{CodeForbiddenCharacter, Error, "a string or key holds a character no description string may hold", false},

	{CodeInternal, Error, "kubeforge's embedded schema does not compile (a bug of kubeforge)", false},

	{CodeUnsupportedVersion, Error, "kubernetesVersion is not a supported Kubernetes version", false},
	{CodeInvalidPortRange, Error, "a port range is not FROM-TO with FROM <= TO within 1-65535", false},
	{CodeInvalidCIDR, Error, "a network is not a CIDR", false},
	{CodeCIDRHostBits, Error, "a network has host bits set", false},
	{CodeInvalidDuration, Error, "a validity is not a positive duration", false},
	{CodeInvalidAddress, Error, "a host address is not an IP address", false},
	{CodeIPv4MappedAddress, Error, "a host address is an IPv4-mapped IPv6 address", false},
	{CodeUnknownGroup, Error, "a host names a group that is not defined", false},
	{CodeInvalidEndpointPort, Error, "the port of controlPlaneEndpoint is not 1-65535", false},

	{CodeDuplicateHostName, Error, "two hosts have the same name", false},
	{CodeDuplicateNodeName, Error, "two hosts have the same node name", false},
	{CodeDuplicateAddress, Error, "two hosts have the same address", false},
	{CodeUnusableHostAddress, Error, "a host address is not a unicast address other hosts can reach", false},
	{CodeNoControlPlane, Error, "no host has the control-plane role", false},
	{CodeReservedHostName, Error, "a host name is the name of the output's own folder", false},
	{CodeHostNameLikeManifest, Error, "a host name would take the place of another bundle's manifest", false},
	{CodeHostNameTooLong, Error, "a host name is too long for the file names made from it", false},
	{CodeInvalidDNSName, Error, "a host or node name is not a valid DNS name", false},
	{CodeNodeNameTooLong, Error, "a node name is too long to register", false},
	{CodeMissingAddressFamily, Error, "a dual-stack cluster's host lacks an address of one family", false},

	{CodeNetworksOverlap, Error, "pod and service networks overlap", false},
	{CodeNetworksOfOneFamily, Error, "more than one pod or service network of one IP family", false},
	{CodePrimaryFamilyMismatch, Error, "the first pod and service networks are of different IP families", false},
	{CodeUnusableNetwork, Error, "a pod or service network is not an ordinary unicast range", false},
	{CodeAddressInNetwork, Error, "a host address lies inside a pod or service network", false},
	{CodeNodeMaskTooShort, Error, "the node CIDR mask is shorter than the pod subnet", false},
	{CodeNodeMaskTooFar, Error, "more than 16 bits between the pod subnet and the node CIDR mask", false},
	{CodePodSubnetTooSmall, Error, "the pod subnet holds fewer node CIDRs than the cluster has hosts", false},
	{CodeMaxPodsBeyondNodeCIDR, Error, "a host's maxPods does not fit its node CIDR", false},
	{CodeServiceSubnetTooLarge, Error, "a service subnet is larger than the apiserver allocates from", false},
	{CodeServiceSubnetTooSmall, Error, "a service subnet has fewer than 11 addresses", false},
	{CodeNodeCIDRsWithoutPods, Error, "allocate-node-cidrs without a pod subnet", false},
	{CodeNodeCIDRsOff, Warning, "node CIDR allocation turned off although a pod subnet is set", false},

	{CodeExternalEtcdMissing, Error, "topology external without etcd.external", false},
	{CodeExternalEtcdUnused, Error, "etcd.external with another topology", false},
	{CodeEtcdRoleNotDedicated, Error, "a host has the etcd role but the topology is not dedicated", false},
	{CodeDedicatedWithoutEtcd, Error, "topology dedicated but no host has the etcd role", false},
	{CodeEvenEtcdMembers, Warning, "an even number of etcd members", false},
	{CodeManyEtcdMembers, Warning, "more than 7 etcd members", false},
	{CodeExternalEtcdCA, Error, "the external etcd's caFile holds no certificate", false},
	{CodeExternalEtcdCert, Error, "the external etcd's certFile holds no PEM certificate", false},
	{CodeExternalEtcdKey, Error, "the external etcd's keyFile holds no PEM private key", false},
	{CodeExternalEtcdKeyMismatch, Error, "the external etcd's key is not the key of its certificate", false},

	{CodeEndpointRequired, Error, "several control-plane hosts but no controlPlaneEndpoint", false},
	{CodeInvalidSAN, Error, "an apiserver SAN is neither a DNS name nor an IP address", false},
	{CodeInvalidEndpointHost, Error, "the endpoint's host is neither a DNS name nor an IP address", false},
	{CodeLoopbackEndpoint, Warning, "the endpoint is a loopback address", false},
	{CodeUnusableEndpoint, Error, "the endpoint is an address that cannot be dialled", false},

	{CodeCgroupDriverMismatch, Error, "the kubelet's cgroup driver differs from the container runtime's", false},
	{CodeReservedCgroupMissing, Error, "enforcing a reservation without naming its cgroup", false},
	{CodeEnforceNoneWithOthers, Error, "enforceNodeAllocatable lists none with other values", false},
	{CodeImageGCThresholds, Error, "the image GC low threshold is not below the high one", false},
	{CodeWebhookOnStandalone, Error, "webhook authentication or authorization on a standalone (dedicated etcd) kubelet", false},
	{CodeWebhookWithoutClientCA, Error, "kubelet webhook authentication or authorization without a client CA", false},

	{CodeManagedFlag, Error, "an extra flag kubeforge sets itself", false},
	{CodeUnknownFlag, Error, "an extra flag the component does not know", false},

	{CodeKubeletAnonymousAuth, Warning, "kubelet anonymous authentication is enabled", false},
	{CodeKubeletAlwaysAllow, Warning, "kubelet authorization mode AlwaysAllow", false},
	{CodeKubeletReadOnlyPort, Warning, "the kubelet's read-only port is open", false},
	{CodeAPIServerAnonymousAuth, Warning, "apiserver anonymous authentication is enabled", false},
	{CodeAPIServerAlwaysAllow, Warning, "apiserver authorization mode AlwaysAllow", false},
	{CodeAPIServerWithoutNode, Warning, "apiserver authorization without the Node authorizer", false},
	{CodeAdmissionReplaced, Warning, "enabled admission plugins without NodeRestriction", false},
	{CodeNodeRestrictionOff, Warning, "NodeRestriction disabled", false},
	{CodeEtcdClientCertAuthOff, Warning, "etcd client certificate authentication is off", false},

	{CodeValidityTooShort, Error, "a certificate validity shorter than one hour", false},
	{CodeValidityTooLong, Error, "a certificate validity longer than 100 years", false},
	{CodeCertOutlivesCA, Error, "certificates would outlive their CA", false},

	{CodePortOverlap, Error, "two listeners of one host share a port", false},
	{CodeSysctlBreaks, Error, "a sysctl switches off what Kubernetes needs", false},
	{CodeUncleanPath, Error, "a path is not clean ('..', '.', '//' or a trailing '/')", false},
	{CodeEtcdDataDirShared, Error, "etcd's data directory holds other files of the node", false},
	{CodeComponentDirShared, Error, "a component's directory holds other files of the node", false},

	{CodeContainerdNoDropIn, Warning, "the containerd release's stock config.toml does not import kubeforge's drop-in", false},
	{CodeNotARegistry, Error, "a registry name that image names never read as a registry", false},
	{CodeRegistryNameTooLong, Error, "a registry name longer than a host name may be", false},
	{CodeRegistryPort, Error, "a registry name with an invalid port", false},
	{CodeRegistryAddress, Error, "a registry name with an invalid IPv6 address", false},
	{CodeMirrorsUnsupported, Error, "registry mirrors with a runtime kubeforge cannot configure them for (cri-dockerd)", false},
	{CodeMirrorTwice, Error, "a mirror listed twice for one registry", false},
	{CodeMirrorPort, Error, "a mirror URL with an invalid port", false},
	{CodeMirrorAddress, Error, "a mirror URL with an invalid IPv6 address", false},
	{CodeMirrorNotHTTPS, Error, "an http:// mirror without plainHTTP", false},
	{CodePlainHTTPOnHTTPS, Error, "plainHTTP set on an https:// mirror", false},
	{CodeMirrorPlainHTTP, Warning, "a mirror used over plain http", false},
	{CodeMirrorSkipVerify, Warning, "a mirror used without verifying its certificate", false},
	{CodeMirrorCAFileUnsupported, Error, "a mirror's caFile with a runtime that has no such setting (CRI-O)", false},
	{CodeRegistryNamedTwice, Error, "one registry named twice in one mirror list (case, :443 or a Docker Hub alias)", false},
	{CodeImageRepositoryUnverified, Warning, "the registry of imageRepository has mirrors on a host and every one is plainHTTP or skipVerify", false},

	{CodeProviderNamedTwice, Error, "two image credential providers of one list have the same name", false},
	{CodeProviderCacheDuration, Error, "a provider's defaultCacheDuration is beyond what a duration holds", false},
	{CodeMatchImagePort, Error, "a provider's matchImages pattern has an invalid port", false},
	{CodeProviderFlagInExtraArgs, Error, "an extra kubelet flag would replace the credential provider files kubeforge writes", false},
	{CodeProviderEnvSecret, Warning, "a provider's environment variable looks like a secret, in a world-readable file", false},
	{CodeProviderBinDirReadOnly, Warning, "the providers' directory is under /usr, read-only on Flatcar", false},

	{CodeAuditPolicyInvalid, Error, "apiServer.audit.policy is not an audit.k8s.io/v1 Policy the apiserver accepts", false},
	{CodeAuditLogWithoutPolicy, Warning, "an audit log path in apiServer.extraArgs without a policy: the apiserver logs nothing", false},
	{CodeSecurityFileFlag, Error, "an apiServer.extraArgs flag that apiServer.encryptionAtRest or apiServer.audit sets", false},
	{CodeEncryptionKeyNamedTwice, Error, "one encryption key named twice in apiServer.encryptionAtRest.keys", false},
	{CodeAuditPolicyEmpty, Warning, "an audit policy without rules: the apiserver logs nothing", false},
	{CodeEncryptionResourceTwice, Error, "one resource listed twice in apiServer.encryptionAtRest.resources", false},
	{CodeEncryptionKeyNotReader, Error, "a key the PKI store lacks listed first: it would write before every apiserver can read it", false},
	{CodeEncryptionWriterDropped, Error, "the key that wrote at the last compile is dropped before another key wrote in its place", false},

	{CodeAdmissionInvalid, Error, "apiServer.admission is not a configuration its admission plugin accepts", false},
	{CodePodSecurityKubeSystem, Warning, "a baseline or restricted Pod Security enforce that does not exempt kube-system, where kube-proxy runs privileged", false},
	{CodeAdmissionAuthnFlag, Error, "an apiServer.extraArgs flag that apiServer.admission or apiServer.authentication sets", false},
	{CodeOIDCFlagsWithJWT, Error, "--oidc-* flags together with apiServer.authentication: the apiserver refuses both", false},
	{CodeAuthenticationInvalid, Error, "apiServer.authentication is not an AuthenticationConfiguration the apiserver accepts", false},
	{CodeIssuerCAInvalid, Error, "an issuer's certificateAuthority is not PEM certificates only (a private key, other blocks, text)", false},
	{CodeAdmissionPluginDisabled, Error, "--disable-admission-plugins names a plugin apiServer.admission configures", false},
	{CodeAnonymousFlagWithConfig, Error, "--anonymous-auth together with apiServer.authentication.anonymous: the apiserver refuses both", false},
	{CodeUnknownControl, Error, "checks.waive names a control kubeforge check does not have", false},
	{CodeWaiverWithoutReason, Error, "a waiver in checks.waive without a reason (empty or only spaces)", false},
	{CodeSkewAPIServers, Error, "kube-apiservers more than one minor apart", false},
	{CodeSkewControllersNewer, Error, "a controller-manager and scheduler newer than the kube-apiserver they dial", false},
	{CodeSkewControllersTooOld, Error, "a controller-manager and scheduler more than one minor older than the newest kube-apiserver", false},
	{CodeSkewControllersOlder, Warning, "a controller-manager and scheduler older than the newest kube-apiserver (supported during an upgrade)", false},
	{CodeSkewKubeletNewer, Error, "a kubelet newer than the kube-apiserver it dials (its own host's, else the oldest)", false},
	{CodeSkewKubeletTooOld, Error, "a kubelet more than three minors older than the newest kube-apiserver", false},
	{CodeSkewKubeletThreeOlder, Warning, "a kubelet three minors older than the newest kube-apiserver: it must be upgraded before the control plane can be", false},
	{CodeSkewBundleNewer, Error, "the cluster bundle (kube-proxy, CoreDNS, kubeadm-config) newer than the oldest kube-apiserver", false},
	{CodeSkewBundleBehind, Warning, "the cluster bundle (kube-proxy, CoreDNS, kubeadm-config) older than every kube-apiserver", false},
	{CodeSkewKubeProxyTooOld, Error, "kube-proxy more than three minors older than the newest kube-apiserver", false},
	{CodeSkewKubeProxyKubelet, Error, "kube-proxy more than three minors apart from a kubelet", false},
	{CodeSkewKubeletOlderThanProxy, Warning, "a kubelet older than kube-proxy (supported during an upgrade)", false},
}

// InfoOf returns the row of a code.
func InfoOf(c Code) (Info, bool) {
	for _, i := range Codes {
		if i.Code == c {
			return i, true
		}
	}
	return Info{}, false
}

// SeverityOf returns the severity of a code's diagnostics (an unknown code is an error).
func SeverityOf(c Code) Severity {
	if i, ok := InfoOf(c); ok {
		return i.Severity
	}
	return Error
}

// Family returns the code's family prefix, "KF12" of "KF1203".
func (c Code) Family() string {
	if len(c) < 4 {
		return ""
	}
	return string(c[:4])
}

// IsIO reports whether the code says a file could not be read (exit 2) rather than that the
// description is invalid.
func (c Code) IsIO() bool { return strings.HasPrefix(string(c), "KF00") }

// CodesMarkdown returns the list of codes for users (codes.md), by family.
func CodesMarkdown() string {
	var b strings.Builder
	b.WriteString("# Diagnostic codes\n\nEvery diagnostic of kubeforge carries one of these codes (`code` in `--output json`).\n" +
		"The wording of a diagnostic may change; its code does not, and a number is never given to\n" +
		"another check. Generated from `compiler/diag/codes.go` by `go test ./compiler/diag -update`.\n")
	for _, f := range Families {
		fmt.Fprintf(&b, "\n## %sxx: %s\n\n| Code | Severity | Finds |\n|---|---|---|\n", f.Prefix, f.Name)
		for _, c := range Codes {
			if c.Code.Family() != f.Prefix {
				continue
			}
			title := c.Title
			if c.Retired {
				title = "(retired) " + title
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", c.Code, c.Severity, strings.ReplaceAll(title, "|", `\|`))
		}
	}
	return b.String()
}
