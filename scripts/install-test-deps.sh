#!/usr/bin/env bash
# Installs the real consumers of kubeforge's files that the tests validate against, from
# Debian's packages. Idempotent: does nothing when everything is present.
set -euo pipefail

need=()
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v firewall-offline-cmd >/dev/null || need+=(firewalld)
command -v openssl >/dev/null || need+=(openssl)
command -v cloud-init >/dev/null || need+=(cloud-init)
command -v ansible-playbook >/dev/null || need+=(ansible-core)
command -v ansible-lint >/dev/null || need+=(ansible-lint)
command -v sysctl >/dev/null || need+=(procps)
command -v unshare >/dev/null || need+=(util-linux)

if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: missing ${need[*]}; run as root or install them" >&2
  exit 0
fi
echo "install-test-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
