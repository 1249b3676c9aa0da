#!/usr/bin/env bash
# A throw-away nginx (nginx-light) serving one folder over HTTP and HTTPS with byte ranges, on free 127.0.0.1 ports.
#   nginx-range.sh start DIR ROOT   state in DIR (created), serves ROOT; prints HTTP_ENDPOINT=..., HTTPS_ENDPOINT=...
#                                   and HTTPS_CA=... (the self-signed certificate to trust) and writes DIR/env
#   nginx-range.sh stop DIR         stops the nginx started for DIR (by its pid file) and removes DIR
set -euo pipefail

cmd=${1:-}
dir=${2:-}
nginx=/usr/sbin/nginx
[ -x "$nginx" ] || nginx=$(command -v nginx || true)

stop() {
  [ -d "$dir" ] || return 0
  if [ -f "$dir/nginx.pid" ]; then
    local p
    p=$(cat "$dir/nginx.pid")
    if [ -n "$p" ] && grep -q '^nginx' "/proc/$p/comm" 2>/dev/null; then
      kill -QUIT "$p" 2>/dev/null || true
      for _ in $(seq 1 50); do [ -e "/proc/$p" ] || break; sleep 0.1; done
      [ -e "/proc/$p" ] && kill -9 "$p" 2>/dev/null || true
    fi
  fi
  [ -f "$dir/.nginx-range-test" ] && rm -rf "$dir"
  return 0
}

case "$cmd" in
  stop) [ -n "$dir" ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop; exit 0 ;;
  start) ;;
  *) echo "usage: $0 start DIR ROOT | stop DIR" >&2; exit 2 ;;
esac
root=${3:-}
[ -n "$dir" ] && [ -n "$root" ] || { echo "usage: $0 start DIR ROOT" >&2; exit 2; }
[ -n "$nginx" ] || { echo "nginx-range.sh: nginx is not installed (run scripts/servers/install.sh)" >&2; exit 3; }
[ -d "$root" ] || { echo "nginx-range.sh: $root is not a folder" >&2; exit 2; }
root=$(cd "$root" && pwd)

mkdir -p "$dir"
if [ -n "$(ls -A "$dir")" ]; then echo "nginx-range.sh: $dir is not empty" >&2; exit 2; fi
dir=$(cd "$dir" && pwd)
touch "$dir/.nginx-range-test"
mkdir -p "$dir/tmp"
# A certificate for 127.0.0.1 and localhost, valid for two days: clients trust it only when told to.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>"$dir/openssl.log"
trap 'status=$?; if [ $status -ne 0 ]; then echo "nginx-range.sh: start failed:" >&2; tail -n 5 "$dir/error.log" >&2 2>/dev/null || true; stop; fi' EXIT

# The kernel picks the port; nginx binds it a moment later (a clash is retried below).
for attempt in 1 2 3 4 5; do
  read -r port tls_port < <(/usr/bin/python3 -c 'import socket; a=socket.socket(); a.bind(("127.0.0.1",0)); b=socket.socket(); b.bind(("127.0.0.1",0)); print(a.getsockname()[1], b.getsockname()[1])')
  # Workers run as the caller (root's default, nobody, cannot read a 0700 temp folder).
  cat >"$dir/nginx.conf" <<CONF
user $(id -un) $(id -gn);
worker_processes 1;
daemon on;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  types { application/json json; }
  default_type application/octet-stream;
  sendfile on;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$port;
    root $root;
    autoindex on;
  }
  server {
    listen 127.0.0.1:$tls_port ssl;
    ssl_certificate $dir/cert.pem;
    ssl_certificate_key $dir/key.pem;
    root $root;
    autoindex on;
  }
}
CONF
  if "$nginx" -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log" 2>>"$dir/error.log"; then
    for _ in $(seq 1 100); do
      if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then
        printf 'HTTP_ENDPOINT=http://127.0.0.1:%s\nHTTPS_ENDPOINT=https://127.0.0.1:%s\nHTTPS_CA=%s\n' "$port" "$tls_port" "$dir/cert.pem" | tee "$dir/env"
        exit 0
      fi
      sleep 0.02
    done
  fi
  grep -q 'Address already in use' "$dir/error.log" 2>/dev/null || break
done
echo "nginx-range.sh: nginx did not start" >&2
exit 1
