package clusterbundle

// Notes returns the cluster bundle's documentation, in Markdown, for the output's README: how
// to apply it, what it holds, what it leaves out and why, and what kubeadm-era tooling can do
// with a kubeforge cluster.
func Notes() string { return notes }

const notes = `## The cluster bundle (cluster/)

kubeadm init creates part of a cluster through the API once the control plane runs. kubeforge
compiles those objects instead, one object per file, in directories and files whose names sort
into a safe order. Apply them once the apiservers answer, with the super-admin credential
(admin.conf has no rights until 00-rbac is applied). super-admin.conf is in system:masters,
which no RBAC change can revoke, so only the description's first control-plane host receives
it, as only the node that ran kubeadm init holds it; apply from there:

    kubectl --kubeconfig /etc/kubernetes/super-admin.conf apply -f cluster/ --recursive

Afterwards admin.conf (on every control-plane host, in kubeadm:cluster-admins, which 00-rbac
binds to cluster-admin) is enough, for this and for every later apply; keep super-admin.conf
for emergencies. Applying it again after a compile is how the cluster follows the description. Two limits:
kubectl apply never deletes, so an object that left the bundle (an addon switched off, a host
removed) stays until deleted by hand; and fields Kubernetes keeps immutable (the kube-dns
Service's address, the workloads' selectors) cannot change this way.

| Directory | Holds |
|---|---|
| 00-rbac | ` + "`kubeadm:cluster-admins`" + ` (gives admin.conf's group cluster-admin); ` + "`kubeadm:node-autoapprove-certificate-rotation`" + ` (the controller-manager approves a kubelet's renewal of its own client certificate, so ` + "`rotateCertificates`" + ` keeps nodes in the cluster after their first certificate expires); ` + "`kubeadm:apiserver-kubelet-client`" + ` (the apiserver's client certificate reaches the kubelets' API: logs, exec, port-forward); the Roles that let nodes read kubeadm-config and kubelet-config, and let anyone read cluster-info; the bootstrap-token bindings (see below). |
| 10-config | ConfigMaps ` + "`kube-system/kubeadm-config`" + ` (a kubeadm.k8s.io/v1beta4 ClusterConfiguration), ` + "`kube-system/kubelet-config`" + ` (the cluster-wide KubeletConfiguration, without any host's overrides) and ` + "`kube-public/cluster-info`" + ` (the endpoint and the cluster CA). |
| 20-nodes | A Node per host with labels or taints: the control-plane role labels and taints kubeadm's mark-control-plane step sets, and the description's labels and taints. |
| 30-addons | kube-proxy: ServiceAccount, RBAC, ConfigMap (mode and cluster CIDR from the description) and DaemonSet at the cluster's version; absent with ` + "`addons.kubeProxy.enabled: false`" + `. CoreDNS: ServiceAccount, RBAC, Corefile (the cluster domain), Deployment and the ` + "`kube-dns`" + ` Service at the cluster DNS address every kubelet names (both families on a dual-stack cluster); absent with ` + "`addons.coreDNS.enabled: false`" + `. |

Within a directory, files are numbered by kind: ServiceAccounts, then RBAC, then ConfigMaps,
Nodes, Services, and workloads last, so pods never start before what they mount or run as,
and no workload is created before all RBAC is.
Namespaces are not in the bundle: kube-system and kube-public are created by the apiserver.

**The network plugin (CNI) is not in the bundle.** Which one to run is the operator's choice,
as with kubeadm; nodes stay NotReady and CoreDNS Pending until one is installed. Its pod
network must be the description's ` + "`networking.podSubnets`" + `.

### Node labels and taints

Under the NodeRestriction admission plugin a kubelet may not give itself labels under
` + "`node-role.kubernetes.io/`" + ` (nor most of ` + "`kubernetes.io`" + ` and ` + "`k8s.io`" + `), so the
control-plane role label can only come through the API. Each Node manifest carries every label
and taint of its host, not just the forbidden ones, because the order of applying and of the
kubelet's registration is free:

- applied before the kubelet registers, the Node is created by kubectl; the kubelet then finds
  it, adopts it and adds only its default labels (hostname, os, arch): it applies neither its
  ` + "`--node-labels`" + ` nor its ` + "`registerWithTaints`" + ` to a Node that exists, so the manifest
  must hold them;
- applied after, kubectl merges the labels into those the kubelet set, and sets the taints to
  the description's, which are those the kubelet registered with.

Taints are a list kubectl replaces as a whole: applying the bundle again resets a node's taints
to the description's. Taints kept by controllers (not-ready, unreachable, unschedulable on a
cordoned node) are put back by them within seconds; taints added by hand are removed: the
description is the place for them. A Node applied for a host that never starts stays NotReady
until deleted. Dedicated etcd hosts get no Node: their kubelet runs standalone.

### What kubeadm does that the bundle does not

- **Bootstrap tokens.** Every certificate and kubeconfig is issued at compile time, so no node
  needs a token to join, and kubeforge creates none (a token is a secret with an expiry: it has
  no place in a reproducible bundle). The bindings kubeadm gives the token group
  (` + "`kubeadm:kubelet-bootstrap`" + `, ` + "`kubeadm:node-autoapprove-bootstrap`" + `, ` + "`kubeadm:get-nodes`" + `,
  and the token group's access to kubeadm-config, kubelet-config and kube-proxy) are included
  as kubeadm makes them, and as kubeadm upgrade apply would recreate them anyway: without a
  token they grant nothing.
- **cluster-info signatures.** kubeadm's cluster-info ConfigMap carries a JWS signature per
  bootstrap token, which kubeadm join checks against its token. With no token there is nothing
  to sign; the ConfigMap holds the endpoint and CA only, and the controller-manager's
  bootstrapsigner adds a signature for any token created later.
- **The kubeadm-certs Secret** (upload-certs): control-plane hosts get their certificates in
  their bundles.
- **The ` + "`kubeadm.kubernetes.io/component-config.hash`" + ` annotation** on kubelet-config and
  kube-proxy: kubeadm then treats both as the user's configuration, which it never replaces with
  its own defaults.

### kubeadm-era tooling on a kubeforge cluster

Works:
- ` + "`kubectl`" + ` with admin.conf, once 00-rbac is applied.
- Node client certificate rotation (CSR auto-approval), and ` + "`kubectl logs`" + `/` + "`exec`" + `.

Should work (kubeadm finds what it reads where it expects it; not exercised by kubeforge's own
tests):
- ` + "`kubeadm upgrade plan`" + `: it reads kubeadm-config, kubelet-config and kube-proxy's ConfigMap,
  the CoreDNS Deployment and the nodes' versions through the API, and the etcd manifest on the
  control-plane host it runs on.
- ` + "`kubeadm token create --print-join-command`" + ` then ` + "`kubeadm join`" + ` for a node outside the
  description, provided the control plane runs kubeadm's bootstrap-token settings (the
  apiserver's ` + "`--enable-bootstrap-token-auth`" + `, the controller-manager's bootstrapsigner and
  tokencleaner controllers) and cluster-info is applied. Such a node is not kubeforge's: the
  next compile knows nothing of it.

Works with care:
- ` + "`kubeadm upgrade apply`" + ` and ` + "`kubeadm upgrade node`" + ` regenerate the static pod manifests from
  kubeadm-config and kubeadm's own defaults, and rewrite each node's
  /var/lib/kubelet/config.yaml from kubelet-config, dropping per-host kubelet settings (groups,
  hosts[].kubelet). They also renew certificates unless given ` + "`--certificate-renewal=false`" + `,
  after which the PKI store no longer matches the nodes. Prefer changing ` + "`kubernetesVersion`" + `,
  compiling and redeploying, then applying this bundle again.
- ` + "`kubeadm certs renew`" + ` and ` + "`kubeadm certs check-expiration`" + ` use the same files, but
  certificates renewed by kubeadm are unknown to kubeforge's PKI store.

Does not work:
- ` + "`kubeadm join`" + ` without a token the operator created, and ` + "`kubeadm join --control-plane`" + `
  with ` + "`--certificate-key`" + ` (there is no kubeadm-certs Secret): control-plane hosts come from
  the description.
`
