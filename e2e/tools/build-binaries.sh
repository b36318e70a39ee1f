#!/usr/bin/env bash
# Builds the real Kubernetes and etcd programs that the end-to-end suite and the benchmarks run,
# from the Go module proxy only, and caches them by version: a warm run only checks the cache.
#
#   e2e/tools/build-binaries.sh               # prints the directory holding the cluster's programs
#   e2e/tools/build-binaries.sh conformance   # e2e.test, agnhost and the ginkgo runner of the same
#                                             # release; prints the directory holding them
#
# k8s.io/kubernetes carries replace directives pointing into its own staging tree, so it cannot
# be `go install`ed; a throwaway module requires it and replaces every staging module with the
# published k8s.io/<m> v0.<minor>.<patch> of the same release.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.37.1}
ETCD_VERSION=${ETCD_VERSION:-v3.7.3}
CACHE=${KUBEFORGE_CACHE:-$HOME/.cache/kubeforge}
MODE=${1:-cluster}
K8S_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubectl kubeadm kubelet)

case $MODE in
  cluster)
    OUT=$CACHE/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION
    PROGRAMS=("${K8S_CMDS[@]}" etcd etcdctl) ;;
  conformance)
    OUT=$CACHE/bin/conformance-$K8S_VERSION
    PROGRAMS=(e2e.test agnhost ginkgo) ;;
  *) echo "usage: $0 [cluster|conformance]" >&2; exit 2 ;;
esac

have_all() {
  for b in "${PROGRAMS[@]}"; do [ -x "$OUT/$b" ] || return 1; done
}
if have_all; then echo "$OUT"; exit 0; fi

# Test packages run in parallel and may all ask at once: one builds, the others wait for it.
mkdir -p "$CACHE"
exec 9>"$CACHE/build.lock"
flock 9
if have_all; then echo "$OUT"; exit 0; fi
mkdir -p "$OUT"

# The -X stamps that make a program report the release it was built from (not v0.0.0-master).
version_ldflags() {
  local ld="-s -w" v
  for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2)"
    ld+=" -X $v.gitTreeState=clean"
  done
  echo "$ld"
}

# write_module DIR: the throwaway module requiring k8s.io/kubernetes at K8S_VERSION, with the
# release's own go and godebug lines and its staging modules replaced by their published
# versions.
write_module() {
  local work=$1 staging=v0.${K8S_VERSION#v1.} upstream_mod
  mkdir -p "$work"
  [ -f "$work/go.mod" ] && return 0
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
}

# module_dir: where the go command keeps the k8s.io/kubernetes source of K8S_VERSION.
module_dir() {
  (cd "$1" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$K8S_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
}

build_cluster() {
  # Only what is missing is built: a cache from before a program joined the list gains it
  # without relinking (and replacing under running tests) the programs it has.
  local missing=() c pkgs=() work=$CACHE/build/k8s-$K8S_VERSION
  for c in "${K8S_CMDS[@]}"; do [ -x "$OUT/$c" ] || missing+=("$c"); done
  if [ ${#missing[@]} -gt 0 ]; then
    write_module "$work"
    for c in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
    (
      cd "$work"
      GOFLAGS=-mod=mod go get "k8s.io/kubernetes@$K8S_VERSION" >/dev/null
      for p in "${pkgs[@]}"; do GOFLAGS=-mod=mod go get "$p@$K8S_VERSION" >/dev/null; done
      # One go build for all programs keeps both cores busy (faster than one at a time).
      GOFLAGS=-mod=mod go build -trimpath -ldflags "$(version_ldflags)" -o "$OUT/" "${pkgs[@]}"
    )
  fi

  # etcd: its server module has a main package; etcdctl likewise.
  if [ ! -x "$OUT/etcd" ] || [ ! -x "$OUT/etcdctl" ]; then
    local ework=$CACHE/build/etcd-$ETCD_VERSION
    mkdir -p "$ework"
    cd "$ework"
    [ -f go.mod ] || go mod init kubeforge.dev/e2e/etcdbin >/dev/null 2>&1
    GOFLAGS=-mod=mod go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" "go.etcd.io/etcd/etcdctl/v3@$ETCD_VERSION" >/dev/null
    GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$OUT/etcd" go.etcd.io/etcd/server/v3
    GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$OUT/etcdctl" go.etcd.io/etcd/etcdctl/v3
  fi
}

# The conformance suite (e2e.test, a Ginkgo test binary) and agnhost, the program of the test
# images most of its specs run, from the same release, in a module of their own: adding their
# packages to the cluster programs' module would change its go.mod under a cached build.
build_conformance() {
  local work=$CACHE/build/k8s-$K8S_VERSION-conformance src agnhost_version
  write_module "$work"
  src=$(module_dir "$work")
  # agnhost reports the version of its image (test/images/agnhost/VERSION), stamped as its
  # Makefile does.
  agnhost_version=$(tr -d '[:space:]' < "$src/test/images/agnhost/VERSION")
  (
    cd "$work"
    GOFLAGS=-mod=mod go get "k8s.io/kubernetes@$K8S_VERSION" "k8s.io/kubernetes/test/e2e@$K8S_VERSION" \
      "k8s.io/kubernetes/test/images/agnhost@$K8S_VERSION" >/dev/null
    [ -x "$OUT/e2e.test" ] || GOFLAGS=-mod=mod go test -c -vet=off -trimpath -ldflags "$(version_ldflags)" \
      -o "$OUT/e2e.test" k8s.io/kubernetes/test/e2e
    [ -x "$OUT/agnhost" ] || CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
      -ldflags "-s -w -X main.Version=$agnhost_version" -o "$OUT/agnhost" k8s.io/kubernetes/test/images/agnhost
  )
  # The ginkgo runner (parallel processes, one report) at the version e2e.test links, in a
  # module of its own: its packages would add modules to the suite's.
  if [ ! -x "$OUT/ginkgo" ]; then
    local gversion gwork
    gversion=$(cd "$work" && GOFLAGS=-mod=mod go list -m -f '{{.Version}}' github.com/onsi/ginkgo/v2)
    gwork=$CACHE/build/ginkgo-$gversion
    mkdir -p "$gwork"
    (
      cd "$gwork"
      [ -f go.mod ] || go mod init kubeforge.dev/e2e/ginkgo >/dev/null 2>&1
      GOFLAGS=-mod=mod go get "github.com/onsi/ginkgo/v2/ginkgo@$gversion" >/dev/null
      GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$OUT/ginkgo" github.com/onsi/ginkgo/v2/ginkgo
    )
  fi
}

"build_$MODE"
have_all || { echo "build finished but binaries are missing in $OUT" >&2; exit 1; }
echo "$OUT"
