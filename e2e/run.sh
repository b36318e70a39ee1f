#!/usr/bin/env bash
# Runs the end-to-end suite (`make e2e`): installs the machine's tools it drives (idempotent),
# builds or finds the cached real binaries, and runs the Go suite, which compiles
# examples/e2e.yaml with the CLI and boots it on this machine. Needs root.
#
#   e2e/run.sh                      # TestControlPlane and TestWorkloads
#   e2e/run.sh -run 'X'             # extra arguments go to `go test`
#   e2e/run.sh conformance          # TestConformance (`make conformance`): the Kubernetes
#                                   # conformance specs against the booted cluster
#
# Process logs end up in e2e/logs/ (or $KUBEFORGE_E2E_LOGS).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=e2e
if [ "${1:-}" = conformance ]; then
  mode=conformance
  shift
fi

if [ "$(id -u)" != 0 ]; then
  echo "e2e: needs root (network and mount namespaces, the kubelet's cgroups)" >&2
  exit 2
fi

# command -> Debian package providing it. The kubelet-driven test runs Debian's containerd,
# runc and CNI plugins; its images take kube-proxy's iptables and nft, the test pod's busybox
# and curl from this machine, and pause is compiled with gcc.
declare -A tools=(
  [ip]=iproute2 [nsenter]=util-linux [unshare]=util-linux [setpriv]=util-linux [mount]=mount
  [hostname]=hostname [openssl]=openssl [sysctl]=procps [ldd]=libc-bin
  [containerd]=containerd [containerd-shim-runc-v2]=containerd [ctr]=containerd [runc]=runc
  [iptables]=iptables [iptables-save]=iptables [nft]=nftables
  [busybox]=busybox-static [curl]=curl [gcc]=gcc
)
# The conformance suite's test images hold a Debian userland.
[ $mode = conformance ] && tools[mmdebstrap]=mmdebstrap
missing=()
for cmd in "${!tools[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${tools[$cmd]}")
done
for plugin in bridge host-local loopback portmap; do
  [ -x "/usr/lib/cni/$plugin" ] || missing+=(containernetworking-plugins)
done
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "e2e: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bin=$(e2e/tools/build-binaries.sh)
echo "e2e: real binaries in $bin"

start=$(date +%s)
status=0
if [ $mode = conformance ]; then
  conformance_bin=$(e2e/tools/build-binaries.sh conformance)
  echo "e2e: e2e.test, agnhost and ginkgo in $conformance_bin"
  KUBEFORGE_E2E_BIN=$bin KUBEFORGE_E2E_CONFORMANCE_BIN=$conformance_bin \
    go test -tags 'e2e conformance' -count=1 -timeout 4h -v -run '^TestConformance$' ./e2e/ "$@" || status=$?
else
  KUBEFORGE_E2E_BIN=$bin go test -tags e2e -count=1 -timeout 45m -v ./e2e/ "$@" || status=$?
fi
echo "e2e: go test finished in $(( $(date +%s) - start ))s (exit $status); process logs in ${KUBEFORGE_E2E_LOGS:-e2e/logs}"
exit $status
