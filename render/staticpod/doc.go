// Package staticpod renders the static pod manifests a host's kubelet runs from
// /etc/kubernetes/manifests: the host's etcd member and its control-plane components, with
// the flags, probes and volumes kubeadm of the cluster's minor gives them, and the host's own
// name and addresses.
//
// Layout: pod.go shapes every pod alike from a component (image, flags, mounts, probes);
// etcd.go and apiserver.go build the two pods that depend on the host; loopback.go holds the
// table of the components kubeadm shapes alike (controller-manager and scheduler), one row
// each; flags.go, pathflags.go and volumes.go turn flags (the user's extra args included) into
// command lines and mounts; versions.go has what differs between minors; manifests.go picks
// a host's pods and writes them as artifacts the kubelet watches.
package staticpod
