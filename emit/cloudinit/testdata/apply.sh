#!/bin/sh
# apply.sh USER-DATA WORKDIR: applies USER-DATA's bootcmd and write_files (both stages) with the
# real cloud-init to a throwaway copy of /: an overlay whose lower layer is / and whose upper
# layer is WORKDIR/upper, mounted in a private mount namespace and entered with chroot, so
# every write lands in WORKDIR/upper and the real root is never touched. cloud-init has no
# root option; this is how it is run against another root.
set -eu
ud=$(realpath "$1")
work=$(realpath "$2")
mkdir -p "$work/upper" "$work/work" "$work/merged"

exec unshare --mount --propagation private sh -eu -c '
ud=$1 work=$2 m=$2/merged
mount -t overlay overlay -o "lowerdir=/,upperdir=$work/upper,workdir=$work/work" "$m"
mount -t proc proc "$m/proc"
# A /dev holding only the harmless devices cloud-init opens.
mount -t tmpfs -o mode=0755 tmpfs "$m/dev"
for dev in null zero random urandom; do
	touch "$m/dev/$dev"
	mount --bind "/dev/$dev" "$m/dev/$dev"
done
# Only the None datasource: nothing is looked up on a network or a disk.
mkdir -p "$m/etc/cloud/cloud.cfg.d"
printf "datasource_list: [ None ]\n" > "$m/etc/cloud/cloud.cfg.d/99-kubeforge-test.cfg"
cp "$ud" "$m/run/kubeforge-user-data"
for module in bootcmd write_files write_files_deferred; do
	chroot "$m" cloud-init --file /run/kubeforge-user-data single --name "$module" --frequency always
done
' apply "$ud" "$work"
