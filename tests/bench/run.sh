#!/usr/bin/env bash
# Runs every benchmark and prints one table (see docs/benchmarks.md).
# Usage: tests/bench/run.sh [SECONDS_PER_HTTP_RUN]   (default 10)
# Builds the `bench` preset (Release), installs wrk if missing, starts
# crdex-server and the bare-Pistache floor on 127.0.0.1 ephemeral ports and
# stops them when done.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}

.ci/install-deps >/dev/null
if ! command -v wrk >/dev/null; then
  as_root=(); [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cmake --preset bench >/dev/null
cmake --build --preset bench -j "$(nproc)" >/dev/null
bin=build/bench/bin
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# Starts a server that prints "... listening on http://HOST:PORT"; sets $url.
start() {
  local out="$work/$1.out"; shift
  "$@" >"$out" 2>"$out.err" &
  pids+=($!)
  for _ in $(seq 1 300); do
    url=$(grep -o 'http://[0-9.:]*' "$out" 2>/dev/null || true)
    [ -n "$url" ] && return 0
    read -r -t 0.1 <> <(:) || true
  done
  echo "server did not start: $*" >&2; cat "$out.err" >&2; exit 1
}

body=examples/requests/order-sign.json
rules=examples/rules/acme-health-plan.json   # the payer of the request's Coverage
token_file="$work/acme.token"
(umask 077; head -c 32 /dev/urandom | base64 | tr -d '/+=\n' >"$token_file")
start crdex "$bin/crdex-server" --listen 127.0.0.1:0 --rules examples/rules --data "$work/data" --log-level warn --threads 2 --insecure-no-client-auth \
  --publisher-token "acme-health-plan=$token_file"
crdex_base=$url
crdex_url="$url/cds-services/crdex-order-sign"
curl -s -H 'Content-Type: application/json' --data-binary @"$body" "$crdex_url" >"$work/answer.json"
start floor "$bin/crdex_bench_floor" "$work/answer.json" 2
floor_url="$url/"

wrk_run() {  # url -> "RESULT ..." line
  BODY_FILE="$body" wrk -t1 -c32 -d"${seconds}s" --timeout 10s -s tests/bench/order_sign.lua "$1" | grep '^RESULT'
}
field() { sed -E "s/.*$1=([0-9]+).*/\1/" <<<"$2"; }
# The payer re-publishes its whole rule set once a second (each PUT is
# validated, stored as a new version and swapped in) until told to stop;
# prints "<published> <refused>".
publish_every_second() {
  local published=0 refused=0 code
  while [ ! -e "$work/stop-publishing" ]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$rules" \
      -H "Authorization: Bearer $(cat "$token_file")" -H 'Content-Type: application/json' \
      "$crdex_base/payers/acme-health-plan/rules")
    if [ "$code" = 201 ]; then published=$((published + 1)); else refused=$((refused + 1)); fi
    read -r -t 1 <> <(:) || true   # the publishing cadence, not a synchronisation
  done
  echo "$published $refused"
}
floor=$(wrk_run "$floor_url")
crdex=$(wrk_run "$crdex_url")
publish_every_second >"$work/publishes" &
publisher=$!
under_publish=$(wrk_run "$crdex_url")
touch "$work/stop-publishing"; wait "$publisher"
read -r published refused <"$work/publishes"
rps() { awk -v r="$(field requests "$1")" -v d="$(field duration_us "$1")" 'BEGIN { printf "%.0f", r / (d / 1e6) }'; }
floor_rps=$(rps "$floor"); crdex_rps=$(rps "$crdex"); under_publish_rps=$(rps "$under_publish")

echo "crdex benchmarks — $(date -u +%Y-%m-%dT%H:%MZ) — $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) — load average $(cut -d' ' -f1-3 /proc/loadavg) — $(git rev-parse --short HEAD)"
printf '%-44s %14s %s\n' "figure" "value" "unit"
row() { printf '%-44s %14s %s\n' "$1" "$2" "$3"; }
row "http.floor.throughput" "$floor_rps" "req/s"
row "http.floor.p50 / p99 / p99.9" "$(field p50_us "$floor") / $(field p99_us "$floor") / $(field p999_us "$floor")" "us"
row "http.order_sign.throughput" "$crdex_rps" "req/s"
row "http.order_sign.p50 / p99 / p99.9" "$(field p50_us "$crdex") / $(field p99_us "$crdex") / $(field p999_us "$crdex")" "us"
row "http.order_sign.errors" "$(field errors "$crdex")" "requests"
row "http.order_sign / floor" "$(awk -v a="$crdex_rps" -v b="$floor_rps" 'BEGIN { printf "%.2f", a / b }')" "ratio"
row "http.publish_under_load.throughput" "$under_publish_rps" "req/s"
row "http.publish_under_load.p50 / p99 / p99.9" "$(field p50_us "$under_publish") / $(field p99_us "$under_publish") / $(field p999_us "$under_publish")" "us"
row "http.publish_under_load.errors" "$(field errors "$under_publish")" "requests"
row "http.publish_under_load.publishes ok / refused" "$published / $refused" "PUTs"
row "http.publish_under_load.p99 / order_sign.p99" "$(awk -v a="$(field p99_us "$under_publish")" -v b="$(field p99_us "$crdex")" 'BEGIN { printf "%.2f", a / b }')" "ratio"
"$bin/crdex_bench_engine" | while read -r name value unit; do row "$name" "$(printf '%.0f' "$value")" "$unit"; done
# Benchmarks other components add (each prints "name value unit" lines).
for extra in "$bin"/crdex_bench_*; do
  case "$(basename "$extra")" in crdex_bench_engine|crdex_bench_floor|crdex_bench_prefetch_fill) continue ;; esac
  "$extra" | while read -r name value unit; do row "$name" "$value" "$unit"; done
done
# These print their own reports.
# Rule scaling: one payer with 100, 10 k and 100 k generated rules.
for n in 100 10000 100000; do "$bin/crdex-bench-rule-scaling" "$n"; done >"$work/scaling.jsonl"
python3 - "$work/scaling.jsonl" <<'PY'
import json, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
def row(name, value, unit): print(f"{name:<44} {value:>14} {unit}")
for r in runs:
    n = r["rules"]
    row(f"rules_{n}.best_rule", f"{r['best_rule_ns']:.0f}", "ns")
    row(f"rules_{n}.order_sign_call", f"{r['order_sign_call_us']:.1f}", "us")
    row(f"rules_{n}.parse + compile", f"{r['parse_ms'] + r['compile_ms']:.0f}", "ms")
    row(f"rules_{n}.rss_catalog", f"{r['rss_mib_catalog']:.1f}", "MiB")
first, last = runs[0], runs[-1]
row(f"rules_{last['rules']} / rules_{first['rules']} order_sign_call", f"{last['order_sign_call_us'] / first['order_sign_call_us']:.2f}", "ratio")
PY
echo
echo "prefetch fill (tests/bench/prefetch_fill):"
"$bin/crdex_bench_prefetch_fill"
