#!/usr/bin/env bash
# Installs the real servers the remote-dataset tests run against (Ceph RGW, nginx-light, openssl for its certificate), once per machine.
# Idempotent and serialised with flock, so parallel test files and .ci/run can all call it.
set -euo pipefail

need=()
command -v ceph-mon >/dev/null 2>&1 || need+=(ceph-mon)
command -v ceph-osd >/dev/null 2>&1 || need+=(ceph-osd)
command -v radosgw >/dev/null 2>&1 || need+=(radosgw)
# nginx-light installs /usr/sbin/nginx, which is not on every PATH.
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
# nginx-range.sh makes its HTTPS port's self-signed certificate with the openssl command.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ ${#need[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install.sh: apt-get is not available, cannot install ${need[*]}" >&2
  exit 3
fi
if [ "$(id -u)" != 0 ]; then
  echo "install.sh: not root, cannot apt-get install ${need[*]}" >&2
  exit 3
fi

exec 9>/tmp/shard-test-servers-install.lock
flock 9
# Another caller may have installed them while this one waited for the lock: ask apt only for what is still missing.
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install.sh: apt-get install ${missing[*]}" >&2
# Package scripts must not start system-wide daemons (nginx on port 80) as a side effect.
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
trap '[ -n "$created_policy" ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >&2
