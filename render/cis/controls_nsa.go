package cis

// nsaControls are the recommendations of the NSA/CISA Kubernetes Hardening Guide v1.2 that
// map onto files kubeforge writes, plus the main ones that do not (manual), so that a reader
// sees both. The guide does not number its recommendations; the IDs are kubeforge's.
var nsaControls = []Control{
	{ID: "NSA-AUTHN-ANONYMOUS", Section: nsaSection, Target: APIServer, Field: apiArg("anonymous-auth"), Title: "The apiserver refuses anonymous requests", Check: anonymousAuthOff},
	{ID: "NSA-AUTHZ-RBAC", Section: nsaSection, Target: APIServer, Field: apiArg("authorization-mode"), Title: "The apiserver authorizes with RBAC and Node, never AlwaysAllow", Check: all(listHas(APIServer, "authorization-mode", "RBAC"), listHas(APIServer, "authorization-mode", "Node"), listLacks(APIServer, "authorization-mode", "AlwaysAllow"))},
	{ID: "NSA-SECRETS-ENCRYPTED", Section: nsaSection, Target: APIServer, Field: "apiServer.encryptionAtRest", Title: "Secrets are encrypted at rest in etcd", Check: secretsEncrypted},
	{ID: "NSA-AUDIT-LOG", Section: nsaSection, Target: APIServer, Field: "apiServer.audit", Title: "The apiserver records an audit log under a policy", Check: auditLogged},
	{ID: "NSA-ETCD-TLS", Section: nsaSection, Target: Etcd, Title: "etcd serves clients and peers over TLS with client certificates only", Check: all(argsSet(Etcd, "cert-file", "key-file", "peer-cert-file", "peer-key-file"), argIs(Etcd, "client-cert-auth", "true", "false"), argIs(Etcd, "peer-client-cert-auth", "true", "false"), argNot(Etcd, "auto-tls", "true"), argNot(Etcd, "peer-auto-tls", "true"))},
	{ID: "NSA-APISERVER-ETCD-TLS", Section: nsaSection, Target: APIServer, Title: "The apiserver reaches etcd over TLS only", Check: etcdOverTLS},
	{ID: "NSA-KUBELET-AUTH", Section: nsaSection, Target: Kubelet, Field: "kubelet.anonymousAuth", Title: "Kubelets refuse anonymous requests and authorize through the apiserver", Check: all(kubeletIs("anonymous-auth", anonymousAuth, "false", "false"), kubeletIs("authorization-mode", authzMode, "Webhook", "Webhook"))},
	{ID: "NSA-KUBELET-READONLY-PORT", Section: nsaSection, Target: Kubelet, Field: "kubelet.readOnlyPort", Title: "The kubelet's unauthenticated read-only port is closed", Check: kubeletIs("read-only-port", readOnlyPort, "0", "0")},
	{ID: "NSA-CONTROLLER-MANAGER-LOCALHOST", Section: nsaSection, Target: ControllerManager, Field: cmArg("bind-address"), Title: "The controller-manager listens on localhost only", Check: argIs(ControllerManager, "bind-address", "127.0.0.1", "0.0.0.0")},
	{ID: "NSA-SCHEDULER-LOCALHOST", Section: nsaSection, Target: Scheduler, Field: schArg("bind-address"), Title: "The scheduler listens on localhost only", Check: argIs(Scheduler, "bind-address", "127.0.0.1", "0.0.0.0")},
	{ID: "NSA-HOST-FIREWALL", Section: nsaSection, Target: Kubelet, Field: "firewall.enabled", Title: "Each host admits only the ports its role needs (firewalld)", Check: firewalled},
	{ID: "NSA-SECCOMP-DEFAULT", Section: nsaSection, Target: Kubelet, Field: kubeletArg("seccomp-default"), Title: "Containers run under the runtime's default seccomp profile unless they ask otherwise", Check: kubeletIs("seccomp-default", seccompDefault, "true", "false")},
	{ID: "NSA-POD-SECURITY", Section: nsaSection, Field: "apiServer.admission.podSecurity", Title: "Pods are admitted under a Pod Security level (non-root, no privilege escalation, read-only root)", Manual: byPodSecurity},
	{ID: "NSA-NETWORK-POLICIES", Section: nsaSection, Title: "Namespaces deny traffic by default with NetworkPolicies", Manual: notInAFile},
	{ID: "NSA-LEAST-PRIVILEGE-RBAC", Section: nsaSection, Title: "RBAC grants least privilege to users and service accounts", Manual: notInAFile},
}
