#!/usr/bin/env bash
# Order-sign throughput by store, in one run (docs/benchmarks.md, "Stores and
# replicas"): crdex-server on SQLite (--data), on PostgreSQL (--store
# postgresql://...), and two replicas on one PostgreSQL behind nginx running
# the shipped configuration (examples/deploy/nginx/crdex.conf with the
# upstream of crdex-replicas-upstream.conf); then the time from a publish
# through one replica until the other serves the new version.
#
# Every call carries a fresh CDS client JWT (RS384, signed beforehand), so
# each call writes its jti to the store's replay ledger: the in-process cache
# with SQLite, the shared ledger on PostgreSQL (a write, then the settle, per
# call). Without client authentication the store is not on a call's path.
#
# Usage: tests/bench/replicas.sh [SECONDS_PER_RUN]   (default 10)
# Environment: NO_BUILD=1 uses what build/bench holds; BIN=dir another build's
# bin directory; PUBLISHES (default 10) publish-to-visible samples.
# Starts its own PostgreSQL (tests/support/postgres_fixture.sh), the servers
# and nginx on 127.0.0.1, and stops them all when done.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
publishes=${PUBLISHES:-10}

if ! command -v wrk >/dev/null || { ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; }; then
  .ci/install-deps >/dev/null
  if ! command -v wrk >/dev/null; then
    as_root=(); [ "$(id -u)" -eq 0 ] || as_root=(sudo)
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  fi
fi
if [ "${NO_BUILD:-0}" != 1 ] && [ -z "${BIN:-}" ]; then
  cmake --preset bench >/dev/null
  cmake --build --preset bench -j "$(nproc)" >/dev/null
fi
bin=${BIN:-build/bench/bin}
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
work=$(mktemp -d)
chmod 755 "$work"
pids=()
nginx_pid=
cleanup() {
  [ -n "$nginx_pid" ] && { kill "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; }
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  tests/support/postgres_fixture.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# Starts a server that prints "... listening on http://HOST:PORT"; sets $url.
start() {
  local out="$work/$1.out"; shift
  "$@" >"$out" 2>"$out.err" &
  pids+=($!)
  for _ in $(seq 1 300); do
    url=$(grep -o 'http://[0-9.:]*' "$out" 2>/dev/null || true)
    [ -n "$url" ] && return 0
    read -r -t 0.1 <> <(:) || true   # polling the server's first line, bounded
  done
  echo "server did not start: $*" >&2; cat "$out.err" >&2; exit 1
}
stop_servers() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; pids=(); }

body=examples/requests/order-sign.json
public=https://crd.bench.example
rules=examples/rules/acme-health-plan.json
token_file="$work/acme.token"
(umask 077; head -c 32 /dev/urandom | base64 | tr -d '/+=\n' >"$token_file")
# One token per call at up to 8000 calls/s; each run has a fresh ledger (its
# own data directory or database), so the same tokens serve every run.
mkdir -p "$work/tokens"
# The request's fhirServer is not on the client's own origin: the client names it.
"$bin/crdex_bench_client_tokens" RS384 $((seconds * 8000)) "$public/cds-services/crdex-order-sign" "$work/tokens" \
  "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["fhirServer"])' "$body")"
common=(--log-level warn --threads 2 --clients "$work/tokens/clients.json" --public-url "$public"
        --publisher-token "acme-health-plan=$token_file")

wrk_run() {  # url -> "RESULT ..." line
  BODY_FILE="$body" TOKENS_FILE="$work/tokens/tokens.txt" \
    wrk -t1 -c32 -d"${seconds}s" --timeout 10s -s tests/bench/order_sign_jwt.lua "$1" | grep '^RESULT'
}
field() { sed -E "s/.*$1=([0-9]+).*/\1/" <<<"$2"; }
rps() { awk -v r="$(field requests "$1")" -v d="$(field duration_us "$1")" 'BEGIN { printf "%.0f", r / (d / 1e6) }'; }

tests/support/postgres_fixture.sh start "$work/pg" >/dev/null
pg_url=$(cat "$work/pg/url")
psql -q "$pg_url" -c 'CREATE DATABASE crdex_replicas' >/dev/null
replicas_url=${pg_url/\/crdex_test\?/\/crdex_replicas?}

# 1. SQLite (one replica, its --data).
start sqlite "$bin/crdex-server" --listen 127.0.0.1:0 --rules examples/rules --data "$work/data-sqlite" "${common[@]}"
sqlite=$(wrk_run "$url/cds-services/crdex-order-sign")
stop_servers

# 2. PostgreSQL, one replica.
start postgresql "$bin/crdex-server" --listen 127.0.0.1:0 --rules examples/rules --data "$work/data-pg" \
  --store "$pg_url" "${common[@]}"
postgresql=$(wrk_run "$url/cds-services/crdex-order-sign")
stop_servers

# 3. Two replicas on one PostgreSQL behind nginx (plain HTTP here: TLS is
# the edge's own cost, the same with one replica or many).
start replica-a "$bin/crdex-server" --listen 127.0.0.1:0 --rules examples/rules --data "$work/data-a" \
  --store "$replicas_url" "${common[@]}"
replica_a=$url
start replica-b "$bin/crdex-server" --listen 127.0.0.1:0 --rules examples/rules --data "$work/data-b" \
  --store "$replicas_url" "${common[@]}"
replica_b=$url
nginx_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -keyout "$work/nginx/server.key" -out "$work/nginx/server.pem" >/dev/null 2>&1
python3 - "$work/nginx" "$nginx_port" "${replica_a##*:}" "${replica_b##*:}" <<'PY'
import sys
out, port, a, b = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
site = open("examples/deploy/nginx/crdex.conf").read()
upstream = open("examples/deploy/nginx/crdex-replicas-upstream.conf").read()
upstream = upstream.replace("server 127.0.0.1:8080 ", f"server 127.0.0.1:{a} ").replace("server 127.0.0.1:8081 ", f"server 127.0.0.1:{b} ")
start = site.index("upstream crdex {"); end = site.index("\n}\n", start) + 3
site = site[:start] + upstream + site[end:]
for old, new in (("listen 443 ssl http2;", f"listen 127.0.0.1:{port};"),
                 ("/etc/ssl/crdex/fullchain.pem", f"{out}/server.pem"), ("/etc/ssl/crdex/privkey.pem", f"{out}/server.key")):
    assert old in site, old
    site = site.replace(old, new, 1)
open(f"{out}/crdex.conf", "w").write(site)
open(f"{out}/nginx.conf", "w").write(f"""daemon off;
master_process on;
worker_processes 1;
user root;
pid {out}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {out}/body; proxy_temp_path {out}/proxy; fastcgi_temp_path {out}/fastcgi;
  uwsgi_temp_path {out}/uwsgi; scgi_temp_path {out}/scgi;
  include {out}/crdex.conf;
}}
""")
PY
[ "$(id -u)" -eq 0 ] || sed -i '/^user root;$/d' "$work/nginx/nginx.conf"
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
nginx_pid=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$nginx_port/health/live" && break
  read -r -t 0.1 <> <(:) || true   # polling nginx's start, bounded
done
behind_nginx=$(wrk_run "http://127.0.0.1:$nginx_port/cds-services/crdex-order-sign")
calls_a=$(curl -s "$replica_a/metrics" | awk '/^crdex_hook_calls_total/ { s += $2 } END { printf "%.0f", s }')
calls_b=$(curl -s "$replica_b/metrics" | awk '/^crdex_hook_calls_total/ { s += $2 } END { printf "%.0f", s }')

# 4. Publish through A, visible at B: B's /metrics polled until it names
# the new version (each poll a curl of about a millisecond).
version_at_b() { curl -s "$replica_b/metrics" | awk -F'} ' '/^crdex_rule_set_version\{payer="acme-health-plan"\}/ { print $2 }'; }
samples=()
for _ in $(seq 1 "$publishes"); do
  before=$(version_at_b)
  t0=$(date +%s%N)
  code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$rules" \
    -H "Authorization: Bearer $(cat "$token_file")" -H 'Content-Type: application/json' \
    "$replica_a/payers/acme-health-plan/rules")
  [ "$code" = 201 ] || { echo "publish refused: $code" >&2; exit 1; }
  visible=
  for _ in $(seq 1 5000); do   # bounded: 5000 polls
    [ "$(version_at_b)" != "$before" ] && { visible=$(date +%s%N); break; }
  done
  [ -n "$visible" ] || { echo "replica B never served the new version" >&2; exit 1; }
  samples+=($(( (visible - t0) / 1000 )))
done
sorted=$(printf '%s\n' "${samples[@]}" | sort -n)

echo "crdex stores and replicas — $(date -u +%Y-%m-%dT%H:%MZ) — $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) — load average $(cut -d' ' -f1-3 /proc/loadavg) — $(git rev-parse --short HEAD)"
printf '%-48s %14s %s\n' "figure" "value" "unit"
row() { printf '%-48s %14s %s\n' "$1" "$2" "$3"; }
for run in sqlite postgresql behind_nginx; do
  r=${!run}
  row "order_sign.RS384.$run.throughput" "$(rps "$r")" "req/s"
  row "order_sign.RS384.$run.p50 / p99 / p99.9" "$(field p50_us "$r") / $(field p99_us "$r") / $(field p999_us "$r")" "us"
  row "order_sign.RS384.$run.errors" "$(field errors "$r")" "requests"
done
row "order_sign.RS384.behind_nginx.calls at A / B" "$calls_a / $calls_b" "calls"
row "publish_to_visible.min / median / max" \
  "$(head -1 <<<"$sorted") / $(sed -n "$(( (publishes + 1) / 2 ))p" <<<"$sorted") / $(tail -1 <<<"$sorted")" \
  "us ($publishes publishes through A, seen at B)"
