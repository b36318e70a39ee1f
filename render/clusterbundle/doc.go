// Package clusterbundle renders the cluster-level bundle: the Kubernetes objects kubeadm
// creates through the API of a new cluster (RBAC, the kubeadm-config and kubelet-config
// ConfigMaps, node roles and taints, the kube-proxy and CoreDNS addons), as manifests an
// operator applies once with super-admin.conf, which only the first control-plane host holds:
//
//	kubectl --kubeconfig super-admin.conf apply -f OUT/cluster/ --recursive
//
// Every object is built from its official Go type, one object per file, in files whose names
// sort into a safe apply order.
package clusterbundle
