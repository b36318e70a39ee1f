#!/usr/bin/env bash
# Builds the real Kubernetes and etcd programs that the end-to-end suite and the benchmarks run,
# from the Go module proxy only, and caches them by version: a warm run only checks the cache.
#
#   e2e/tools/build-binaries.sh            # prints the directory holding the binaries
#
# k8s.io/kubernetes carries replace directives pointing into its own staging tree, so it cannot
# be `go install`ed; a throwaway module requires it and replaces every staging module with the
# published k8s.io/<m> v0.<minor>.<patch> of the same release.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.37.1}
ETCD_VERSION=${ETCD_VERSION:-v3.7.3}
CACHE=${KUBEFORGE_CACHE:-$HOME/.cache/kubeforge}
OUT=$CACHE/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION
K8S_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubectl kubeadm kubelet)

have_all() {
  for b in "${K8S_CMDS[@]}" etcd etcdctl; do [ -x "$OUT/$b" ] || return 1; done
}
if have_all; then echo "$OUT"; exit 0; fi

# Test packages run in parallel and may all ask at once: one builds, the others wait for it.
mkdir -p "$CACHE"
exec 9>"$CACHE/build.lock"
flock 9
if have_all; then echo "$OUT"; exit 0; fi

# Only what is missing is built: a cache from before a program joined the list gains it
# without relinking (and replacing under running tests) the programs it has.
missing=()
for c in "${K8S_CMDS[@]}"; do [ -x "$OUT/$c" ] || missing+=("$c"); done

work=$CACHE/build/k8s-$K8S_VERSION
mkdir -p "$work" "$OUT"
staging=v0.${K8S_VERSION#v1.}

if [ ${#missing[@]} -gt 0 ]; then
  # The release's own go.mod names the staging modules and the godebug line we must copy.
  upstream_mod=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$K8S_VERSION" \
    | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -f "$upstream_mod" ] || { echo "cannot download k8s.io/kubernetes@$K8S_VERSION go.mod" >&2; exit 2; }

  {
    echo "module kubeforge.dev/e2e/k8sbin"
    grep -E '^go [0-9]' "$upstream_mod"
    grep -E '^godebug ' "$upstream_mod" || true
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\t\1 => \1 '"$staging"'#p' "$upstream_mod"
    echo ")"
  } > "$work/go.mod"

  pkgs=()
  for c in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  (
    cd "$work"
    GOFLAGS=-mod=mod go get "k8s.io/kubernetes@$K8S_VERSION" >/dev/null
    for p in "${pkgs[@]}"; do GOFLAGS=-mod=mod go get "$p@$K8S_VERSION" >/dev/null; done

    ld="-s -w"
    for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld+=" -X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2)"
      ld+=" -X $v.gitTreeState=clean"
    done
    # One go build for all programs keeps both cores busy (faster than one at a time).
    GOFLAGS=-mod=mod go build -trimpath -ldflags "$ld" -o "$OUT/" "${pkgs[@]}"
  )
fi

# etcd: its server module has a main package; etcdctl likewise.
if [ ! -x "$OUT/etcd" ] || [ ! -x "$OUT/etcdctl" ]; then
  ework=$CACHE/build/etcd-$ETCD_VERSION
  mkdir -p "$ework"
  cd "$ework"
  [ -f go.mod ] || go mod init kubeforge.dev/e2e/etcdbin >/dev/null 2>&1
  GOFLAGS=-mod=mod go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" "go.etcd.io/etcd/etcdctl/v3@$ETCD_VERSION" >/dev/null
  GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$OUT/etcd" go.etcd.io/etcd/server/v3
  GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$OUT/etcdctl" go.etcd.io/etcd/etcdctl/v3
fi

have_all || { echo "build finished but binaries are missing in $OUT" >&2; exit 1; }
echo "$OUT"
