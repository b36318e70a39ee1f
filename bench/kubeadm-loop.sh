#!/usr/bin/env bash
# What a kubeadm user runs, offline, to produce every node's files of one cluster: the
# baseline `make bench` compares one `kubeforge compile` with. bench/run.sh times the
# control-plane part and the worker part separately (so that per-host costs can be
# extrapolated to clusters too big to loop over).
#
#   kubeadm-loop.sh KUBEADM HOSTS CONFIG_DIR ROOTS_DIR control-plane|worker
#
# HOSTS has one host a line, "NAME ADDRESS control-plane|worker" (bench/gen -hosts);
# CONFIG_DIR/NAME.yaml is each host's kubeadm configuration (bench/gen -kubeadm-dir); each host's
# files land in ROOTS_DIR/NAME/, the root kubeadm is chrooted into (--rootfs), at the paths they
# have on the node.
#
# Per control-plane host, in description order (stacked etcd):
#   - except on the first, copy the shared CAs and service-account key pair from the first host
#     into its /etc/kubernetes/pki (kubeadm's manual certificate distribution: ca, front-proxy-ca,
#     etcd/ca, sa), so that all control-plane hosts share one PKI;
#   - kubeadm init phase certs all          (CAs on the first host; every other certificate)
#   - kubeadm init phase kubeconfig all     (admin, super-admin, kubelet, controller-manager,
#                                            scheduler kubeconfigs)
#   - kubeadm init phase control-plane all  (kube-apiserver, -controller-manager, -scheduler)
#   - kubeadm init phase etcd local         (etcd static pod)
#   - kubeadm init phase kubelet-start      (config.yaml, instance-config.yaml, kubeadm-flags.env)
#   all with --rootfs ROOTS_DIR/NAME --config /kubeadm.yaml.
# Per worker, what `kubeadm join` would leave, without a cluster to join:
#   - kubeadm init phase kubelet-start --rootfs ROOTS_DIR/NAME   (the kubelet's configuration and
#     flags: what join downloads from the kubelet-config ConfigMap and writes)
#   - kubeadm kubeconfig user --client-name system:node:NAME --org system:nodes
#     > ROOTS_DIR/NAME/etc/kubernetes/kubelet.conf   (a client certificate signed by the cluster
#     CA instead of the TLS bootstrap; the worker's configuration points certificatesDir at the
#     first control-plane host's pki)
#   - copy the cluster CA certificate to /etc/kubernetes/pki/ca.crt.
set -euo pipefail

if [[ $# -ne 5 || ( $5 != control-plane && $5 != worker ) ]]; then
	echo "usage: $0 KUBEADM HOSTS CONFIG_DIR ROOTS_DIR control-plane|worker" >&2
	exit 2
fi
kubeadm=$1 hosts=$2 configs=$3 roots=$4 part=$5
log=$roots/kubeadm.log
mkdir -p "$roots"

# run runs kubeadm, its chatter to the log; on failure the log's tail explains.
run() {
	if ! "$kubeadm" "$@" >>"$log" 2>&1; then
		echo "kubeadm $* failed:" >&2
		tail -n 20 "$log" >&2
		exit 1
	fi
}

first_cp=""
while read -r name _ role; do
	[[ -n $name ]] || continue
	if [[ $role == control-plane && -z $first_cp ]]; then
		first_cp=$name
	fi
	[[ $role == "$part" ]] || continue
	root=$roots/$name
	mkdir -p "$root/etc/kubernetes/pki"
	if [[ $role == control-plane ]]; then
		cp "$configs/$name.yaml" "$root/kubeadm.yaml"
		if [[ $name != "$first_cp" ]]; then
			src=$roots/$first_cp/etc/kubernetes/pki
			mkdir -p "$root/etc/kubernetes/pki/etcd"
			for f in ca.crt ca.key front-proxy-ca.crt front-proxy-ca.key etcd/ca.crt etcd/ca.key sa.key sa.pub; do
				cp -p "$src/$f" "$root/etc/kubernetes/pki/$f"
			done
		fi
		for phase in "certs all" "kubeconfig all" "control-plane all" "etcd local" "kubelet-start"; do
			# shellcheck disable=SC2086 # the phase is two words on purpose
			run init phase $phase --rootfs "$root" --config /kubeadm.yaml
		done
	else
		cp "$configs/$name.yaml" "$root/kubeadm.yaml"
		run init phase kubelet-start --rootfs "$root" --config /kubeadm.yaml
		if ! "$kubeadm" kubeconfig user --client-name "system:node:$name" --org system:nodes \
			--config "$configs/$name.yaml" >"$root/etc/kubernetes/kubelet.conf" 2>>"$log"; then
			echo "kubeadm kubeconfig user for $name failed:" >&2
			tail -n 20 "$log" >&2
			exit 1
		fi
		cp -p "$roots/$first_cp/etc/kubernetes/pki/ca.crt" "$root/etc/kubernetes/pki/ca.crt"
	fi
done <"$hosts"
