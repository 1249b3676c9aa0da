#!/usr/bin/env bash
# A throw-away single-node Ceph 16 S3 server for tests: mon + one memstore OSD + radosgw on 127.0.0.1.
#   ceph-rgw.sh start DIR   starts it with all state in DIR (created), prints KEY=VALUE lines
#                           (S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION) and writes them to DIR/env
#   ceph-rgw.sh stop DIR    stops the daemons started for DIR (by their pid files) and removes DIR
# Nothing listens beyond 127.0.0.1; nothing outside DIR is written (no /etc/ceph, /var/lib/ceph, /var/run/ceph).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

# Ports the kernel hands out as free on 127.0.0.1 (Debian's python starts in a few ms, node in most of a second).
free_ports() {
  /usr/bin/python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

stop() {
  [ -d "$dir" ] || return 0
  local pids=()
  for f in "$dir"/run/*.pid; do
    [ -e "$f" ] || continue
    pids+=("$(cat "$f")")
  done
  # Only pids recorded for this DIR, and only while they still are ceph daemons (a pid may have been reused).
  for p in "${pids[@]}"; do
    if [ -n "$p" ] && grep -qE '^(ceph-mon|ceph-osd|radosgw)' "/proc/$p/comm" 2>/dev/null; then kill "$p" 2>/dev/null || true; fi
  done
  for _ in $(seq 1 50); do
    local alive=
    for p in "${pids[@]}"; do [ -n "$p" ] && [ -e "/proc/$p" ] && alive=1; done
    [ -z "$alive" ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do
    if [ -n "$p" ] && grep -qE '^(ceph-mon|ceph-osd|radosgw)' "/proc/$p/comm" 2>/dev/null; then kill -9 "$p" 2>/dev/null || true; fi
  done
  [ -f "$dir/.ceph-rgw-test" ] && rm -rf "$dir"
  return 0
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

for b in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool; do
  command -v "$b" >/dev/null 2>&1 || { echo "ceph-rgw.sh: $b is not installed (run scripts/servers/install.sh)" >&2; exit 3; }
done

mkdir -p "$dir"
if [ -n "$(ls -A "$dir")" ]; then echo "ceph-rgw.sh: $dir is not empty" >&2; exit 2; fi
dir=$(cd "$dir" && pwd)
touch "$dir/.ceph-rgw-test" # marks DIR as ours, so stop only ever removes what start made
mkdir -p "$dir/run" "$dir/log" "$dir/mon/ceph-a" "$dir/osd/ceph-0"
trap 'status=$?; if [ $status -ne 0 ]; then echo "ceph-rgw.sh: start failed; last log lines:" >&2; tail -n 5 "$dir"/log/*.log >&2 2>/dev/null || true; stop; fi' EXIT

read -r mon_port rgw_port < <(free_ports 2)
fsid=$(cat /proc/sys/kernel/random/uuid)
conf="$dir/ceph.conf"
cat >"$conf" <<CONF
[global]
fsid = $fsid
mon initial members = a
mon host = v2:127.0.0.1:$mon_port
public addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $dir/\$name.keyring
run dir = $dir/run
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
log to stderr = false
err to stderr = false
crash dir = $dir/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1
# A fast start: commit paxos proposals at once instead of batching them for a second.
paxos propose interval = 0.01
paxos min wait = 0.001
mon lease = 1
mon tick interval = 1
osd objectstore = memstore
memstore device bytes = 2147483648
osd data = $dir/osd/\$cluster-\$id
mon data = $dir/mon/\$cluster-\$id
osd max object name len = 460
osd max object namespace len = 64
[mon]
keyring = \$mon_data/keyring
[osd]
keyring = \$osd_data/keyring
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw dns name = 127.0.0.1
rgw thread pool size = 64
rgw enable usage log = false
rgw data = $dir/rgw
CONF

ceph-authtool --create-keyring "$dir/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool --create-keyring "$dir/client.admin.keyring" --gen-key -n client.admin \
  --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool --create-keyring "$dir/client.rgw.a.keyring" --gen-key -n client.rgw.a --cap mon 'allow rw' --cap osd 'allow rwx' >/dev/null
ceph-authtool --create-keyring "$dir/osd/ceph-0/keyring" --gen-key -n osd.0 \
  --cap mon 'allow profile osd' --cap osd 'allow *' --cap mgr 'allow profile osd' >/dev/null
# Every key goes into the mon's initial keyring: no 'ceph auth' round trips (a second each) at start.
for k in client.admin.keyring client.rgw.a.keyring osd/ceph-0/keyring; do
  ceph-authtool "$dir/mon.keyring" --import-keyring "$dir/$k" >/dev/null
done
monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" "$dir/monmap" >/dev/null
ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/mon.keyring"
ceph-mon -c "$conf" -i a

c() { ceph -c "$conf" --connect-timeout 20 "$@"; }
osd_uuid=$(cat /proc/sys/kernel/random/uuid)
osd_id=$(c osd new "$osd_uuid")
[ "$osd_id" = 0 ] || { echo "ceph-rgw.sh: expected osd id 0, got $osd_id" >&2; exit 1; }
ceph-osd -c "$conf" -i "$osd_id" --mkfs --no-mon-config --osd-uuid "$osd_uuid" >/dev/null 2>"$dir/log/osd-mkfs.log"
ceph-osd -c "$conf" -i "$osd_id"

mkdir -p "$dir/rgw"
radosgw -c "$conf" -n client.rgw.a

access=$(head -c 15 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
secret=$(head -c 30 /dev/urandom | od -An -tx1 | tr -d ' \n')
# Waits for the gateway to answer (it creates its pools first), then for the user admin op to succeed.
ok=
for _ in $(seq 1 300); do
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$rgw_port/"; then ok=1; break; fi
  sleep 0.05
done
[ -n "$ok" ] || { echo "ceph-rgw.sh: radosgw did not answer on 127.0.0.1:$rgw_port" >&2; exit 1; }
radosgw-admin -c "$conf" -n client.admin user create --uid=shard-test --display-name=shard-test \
  --access-key="$access" --secret-key="$secret" >/dev/null 2>"$dir/log/user-create.log"

{
  echo "S3_ENDPOINT=http://127.0.0.1:$rgw_port"
  echo "AWS_ACCESS_KEY_ID=$access"
  echo "AWS_SECRET_ACCESS_KEY=$secret"
  echo "AWS_REGION=us-east-1"
} | tee "$dir/env"
