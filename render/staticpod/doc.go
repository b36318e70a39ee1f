// Package staticpod renders the static pod manifests a host's kubelet runs from
// /etc/kubernetes/manifests: the host's etcd member and its control-plane components, with
// the flags, probes and volumes kubeadm of the cluster's minor gives them, and the host's own
// name and addresses.
package staticpod
