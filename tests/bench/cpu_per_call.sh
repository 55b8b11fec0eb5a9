#!/usr/bin/env bash
# Where a hook call's machine time goes, as deployed: the CPU time the server
# process spends per answered call (perf stat's task-clock over a wrk run
# divided by the calls answered), and perf's sampled share of it per library,
# turned into microseconds per call. Run against the bare-Pistache floor, and
# crdex-server without client auth and with a fresh RS384 CDS client JWT per
# call, on the guide's order-sign request (issue 20, goals 1 and 2). CPU per
# call, unlike throughput, does not depend on how wrk and the server share the
# two cores, so the rows compare across runs of a busy machine.
# Usage: tests/bench/cpu_per_call.sh [SECONDS]   (default 8; NO_BUILD=1 to use build/bench as it is)
# Needs perf (Debian linux-perf) and the rights to attach it to a process.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-8}

.ci/install-deps >/dev/null
command -v wrk >/dev/null || { echo "needs wrk (tests/bench/run.sh installs it)" >&2; exit 1; }
command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 1; }
if [ "${NO_BUILD:-0}" != 1 ]; then
  cmake --preset bench >/dev/null
  cmake --build --preset bench -j "$(nproc)" >/dev/null
fi
bin=build/bench/bin
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; rm -rf "$work"; }
trap cleanup EXIT

body=examples/requests/order-sign.json
public=https://crd.bench.example
fhir_server=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["fhirServer"])' "$body")
"$bin/crdex_bench_client_tokens" RS384 $((seconds * 6000)) "$public/cds-services/crdex-order-sign" "$work" \
  "$fhir_server"

start() {  # name command... ; sets pid and url
  local out="$work/$1.out"; shift
  "$@" >"$out" 2>"$out.err" &
  pid=$!
  for _ in $(seq 1 300); do
    url=$(grep -o 'http://[0-9.:]*' "$out" 2>/dev/null || true)
    [ -n "$url" ] && return 0
    read -r -t 0.1 <> <(:) || true
  done
  echo "server did not start: $*" >&2; cat "$out.err" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

# One measured run: wrk for $seconds, perf stat and perf record attached to
# the server meanwhile. Prints "name calls/s cpu_us_per_call" and then the
# libraries' shares as "  library us_per_call".
measure() {  # name url script
  local name=$1 target=$2 script=$3
  BODY_FILE="$body" TOKENS_FILE="$work/tokens.txt" \
    wrk -t1 -c32 -d"${seconds}s" --timeout 10s -s "$script" "$target" >"$work/$name.wrk" &
  local load=$!
  perf stat -e task-clock -x, -o "$work/$name.stat" -p "$pid" -- sleep "$seconds" 2>/dev/null &
  local stat=$!
  perf record -q -F 499 -p "$pid" -o "$work/$name.perf" -- sleep "$seconds" >/dev/null 2>&1 || true
  wait "$stat" || true
  wait "$load"
  local result requests duration errors cpu_ms
  result=$(grep '^RESULT' "$work/$name.wrk")
  requests=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$result")
  errors=$(sed -E 's/.*errors=([0-9]+).*/\1/' <<<"$result")
  duration=$(sed -E 's/.*duration_us=([0-9]+).*/\1/' <<<"$result")
  cpu_ms=$(awk -F, '/task-clock/ { print $1 }' "$work/$name.stat")
  # perf ran for $seconds of the run's $duration: scale the calls to its window.
  awk -v n="$name" -v r="$requests" -v d="$duration" -v c="$cpu_ms" -v s="$seconds" -v e="$errors" 'BEGIN {
    calls = r * (s * 1e6) / d
    printf "%-22s %8.0f calls/s %8.1f us of CPU per call (errors: %d)\n", n, r / (d / 1e6), c * 1000 / calls, e
  }'
  perf report -i "$work/$name.perf" --no-children --sort dso -g none 2>/dev/null |
    awk -v c="$cpu_ms" -v r="$requests" -v d="$duration" -v s="$seconds" '
      /^ *[0-9.]+%/ { sub("%", "", $1); share[$2] = $1 }
      END {
        calls = r * (s * 1e6) / d
        for (lib in share) if (share[lib] >= 1) printf "    %-34s %7.1f us (%4.1f %%)\n", lib, share[lib] / 100 * c * 1000 / calls, share[lib]
      }' | sort -k2 -n -r
}

start crdex "$bin/crdex-server" --listen 127.0.0.1:0 --rules examples/rules --data "$work/data" --log-level warn \
  --threads 2 --insecure-no-client-auth
curl -s -H 'Content-Type: application/json' --data-binary @"$body" "$url/cds-services/crdex-order-sign" >"$work/answer.json"
measure "crdex (no client auth)" "$url/cds-services/crdex-order-sign" tests/bench/order_sign.lua
stop
start floor "$bin/crdex_bench_floor" "$work/answer.json" 2
measure "floor" "$url/" tests/bench/order_sign.lua
stop
start crdex-jwt "$bin/crdex-server" --listen 127.0.0.1:0 --rules examples/rules --data "$work/data-jwt" \
  --log-level warn --threads 2 --clients "$work/clients.json" --public-url "$public"
measure "crdex (RS384 JWT)" "$url/cds-services/crdex-order-sign" tests/bench/order_sign_jwt.lua
stop
echo "($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(git rev-parse --short HEAD))"
