#!/usr/bin/env bash
# Runs every benchmark and prints one table (see docs/benchmarks.md).
# Usage: tests/bench/run.sh [SECONDS_PER_HTTP_RUN]   (default 10)
# Environment:
#   JWT_SECONDS   length of the client-JWT runs (default: the smaller of 5 and
#                 SECONDS_PER_HTTP_RUN; their tokens are signed beforehand)
#   AUDIT_SECONDS the audit load run, at the highest rate (default 60; 0 skips it)
#   SUSTAINED     seconds of issue 20's goal 4 at 80 % of the highest rate, in
#                 one-minute parts (default 0: skipped; the goal is 600)
# Builds the `bench` preset (Release), installs wrk if missing, starts
# crdex-server and the bare-Pistache floor on 127.0.0.1 ephemeral ports and
# stops them when done.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
jwt_seconds=${JWT_SECONDS:-$((seconds < 5 ? seconds : 5))}
audit_seconds=${AUDIT_SECONDS:-60}
sustained=${SUSTAINED:-0}

.ci/install-deps >/dev/null
if ! command -v wrk >/dev/null; then
  as_root=(); [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if [ "${NO_BUILD:-0}" != 1 ]; then  # NO_BUILD=1: use what build/bench holds; absent optional benches are skipped
  cmake --preset bench >/dev/null
  cmake --build --preset bench -j "$(nproc)" >/dev/null
fi
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
crdex_pid=${pids[-1]}
crdex_url="$url/cds-services/crdex-order-sign"
curl -s -H 'Content-Type: application/json' --data-binary @"$body" "$crdex_url" >"$work/answer.json"
start floor "$bin/crdex_bench_floor" "$work/answer.json" 2
floor_url="$url/"

wrk_run() {  # url [script] [seconds] -> "RESULT ..." line
  BODY_FILE="$body" wrk -t1 -c32 -d"${3:-$seconds}s" --timeout 10s -s "${2:-tests/bench/order_sign.lua}" "$1" |
    grep '^RESULT'
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
metric() { curl -s "$crdex_base/metrics" | awk -v m="$1" '$1 == m { printf "%.0f", $2 }'; }
# 503s of the audit's back-pressure (--audit-high-water) in a run: wrk counts
# them among its errors; these say how many of those errors they were.
busy() { metric crdex_audit_busy_refusals_total; }
floor=$(wrk_run "$floor_url")
busy_before=$(busy)
crdex=$(wrk_run "$crdex_url")
crdex_busy=$(( $(busy) - busy_before ))
publish_every_second >"$work/publishes" &
publisher=$!
busy_before=$(busy)
under_publish=$(wrk_run "$crdex_url")
under_publish_busy=$(( $(busy) - busy_before ))
touch "$work/stop-publishing"; wait "$publisher"
read -r published refused <"$work/publishes"
rps() { awk -v r="$(field requests "$1")" -v d="$(field duration_us "$1")" 'BEGIN { printf "%.0f", r / (d / 1e6) }'; }
floor_rps=$(rps "$floor"); crdex_rps=$(rps "$crdex"); under_publish_rps=$(rps "$under_publish")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# Issue 20, goal 2: CDS client JWTs, a fresh jti per call, signed beforehand.
# crdex-server checks each (signature, claims, replay); the floor gets the
# same script (its Lua builds each request) and ignores the header.
audience=https://crd.bench.example/cds-services/crdex-order-sign
declare -A jwt_result jwt_floor
for alg in RS384 ES384; do
  per_second=8000; [ "$alg" = ES384 ] && per_second=2500
  mkdir -p "$work/$alg"
  # The request's fhirServer is not on the client's own origin: the client names it.
  "$bin/crdex_bench_client_tokens" "$alg" $((jwt_seconds * per_second)) "$audience" "$work/$alg" \
    "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["fhirServer"])' "$body")"
  start "crdex-$alg" "$bin/crdex-server" --listen 127.0.0.1:0 --rules examples/rules --data "$work/data-$alg" \
    --log-level warn --threads 2 --clients "$work/$alg/clients.json" --public-url https://crd.bench.example
  jwt_url="$url/cds-services/crdex-order-sign"
  jwt_floor[$alg]=$(TOKENS_FILE="$work/$alg/tokens.txt" wrk_run "$floor_url" tests/bench/order_sign_jwt.lua "$jwt_seconds")
  jwt_result[$alg]=$(TOKENS_FILE="$work/$alg/tokens.txt" wrk_run "$jwt_url" tests/bench/order_sign_jwt.lua "$jwt_seconds")
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
done

# Issue 17's audit load: the highest rate (wrk's 32 connections unpaced) for
# AUDIT_SECONDS; drops and written calls from /metrics, bytes from the files.
audit_bytes() { cat "$work/data/audit.sqlite" "$work/data/audit.sqlite-wal" 2>/dev/null | wc -c; }
wait_audit_queue() {  # until the writer has written what is queued (a time-out as a safety net)
  for _ in $(seq 1 300); do [ "$(metric crdex_audit_queue_depth)" = 0 ] && return 0; read -r -t 0.1 <> <(:) || true; done
}
if [ "$audit_seconds" -gt 0 ]; then
  wait_audit_queue
  written_before=$(metric crdex_audit_written_total); dropped_before=$(metric crdex_audit_dropped_total)
  refused_before=$(metric crdex_audit_busy_refusals_total)
  bytes_before=$(audit_bytes)
  audit_load=$(wrk_run "$crdex_url" tests/bench/order_sign.lua "$audit_seconds")
  wait_audit_queue
  audit_written=$(( $(metric crdex_audit_written_total) - written_before ))
  audit_dropped=$(( $(metric crdex_audit_dropped_total) - dropped_before ))
  audit_refused=$(( $(metric crdex_audit_busy_refusals_total) - refused_before ))
  audit_growth=$(( $(audit_bytes) - bytes_before ))
fi

# Issue 20, goal 4: 80 % of the highest rate (each of the 32 connections
# pausing between calls), in parts of a minute; RSS and p99 of the first
# minute against the others'.
sustained_parts=()
sustained_rss=()
if [ "$sustained" -gt 0 ]; then
  part=$((sustained < 60 ? sustained : 60))
  target=$(awk -v r="$crdex_rps" 'BEGIN { printf "%.0f", 0.8 * r }')
  p50_ms=$(awk -v p="$(field p50_us "$crdex")" 'BEGIN { printf "%.3f", p / 1000 }')
  pause=$(awk -v t="$target" -v l="$p50_ms" 'BEGIN { d = 32000 / t - l; printf "%d", d < 0 ? 0 : d + 0.5 }')
  dropped_before=$(metric crdex_audit_dropped_total)
  busy_before=$(busy)
  for ((elapsed = 0; elapsed < sustained; elapsed += part)); do
    sustained_parts+=("$(DELAY_MS=$pause wrk_run "$crdex_url" tests/bench/order_sign_paced.lua "$part")")
    sustained_rss+=("$(awk '/^VmRSS/ { print $2 }' /proc/"$crdex_pid"/status)")
  done
  sustained_dropped=$(( $(metric crdex_audit_dropped_total) - dropped_before ))
  sustained_busy=$(( $(busy) - busy_before ))
fi

echo "crdex benchmarks — $(date -u +%Y-%m-%dT%H:%MZ) — $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) — load average $(cut -d' ' -f1-3 /proc/loadavg) — $(git rev-parse --short HEAD)"
printf '%-44s %14s %s\n' "figure" "value" "unit"
row() { printf '%-44s %14s %s\n' "$1" "$2" "$3"; }
row "http.floor.throughput" "$floor_rps" "req/s"
row "http.floor.p50 / p99 / p99.9" "$(field p50_us "$floor") / $(field p99_us "$floor") / $(field p999_us "$floor")" "us"
row "http.order_sign.throughput" "$crdex_rps" "req/s"
row "http.order_sign.p50 / p99 / p99.9" "$(field p50_us "$crdex") / $(field p99_us "$crdex") / $(field p999_us "$crdex")" "us"
row "http.order_sign.errors" "$(field errors "$crdex")" "requests ($crdex_busy of them audit back-pressure 503s)"
row "http.order_sign / floor" "$(awk -v a="$crdex_rps" -v b="$floor_rps" 'BEGIN { printf "%.2f", a / b }')" "ratio"
row "http.publish_under_load.throughput" "$under_publish_rps" "req/s"
row "http.publish_under_load.p50 / p99 / p99.9" "$(field p50_us "$under_publish") / $(field p99_us "$under_publish") / $(field p999_us "$under_publish")" "us"
row "http.publish_under_load.errors" "$(field errors "$under_publish")" "requests ($under_publish_busy of them audit back-pressure 503s)"
row "http.publish_under_load.publishes ok / refused" "$published / $refused" "PUTs"
row "http.publish_under_load.p99 / order_sign.p99" "$(awk -v a="$(field p99_us "$under_publish")" -v b="$(field p99_us "$crdex")" 'BEGIN { printf "%.2f", a / b }')" "ratio"
for alg in RS384 ES384; do
  r=${jwt_result[$alg]}; f=${jwt_floor[$alg]}
  row "http.order_sign.$alg.throughput" "$(rps "$r")" "req/s (floor with the same script: $(rps "$f"))"
  row "http.order_sign.$alg.p50 / p99 / p99.9" "$(field p50_us "$r") / $(field p99_us "$r") / $(field p999_us "$r")" "us"
  row "http.order_sign.$alg.errors" "$(field errors "$r")" "requests"
done
if [ "$audit_seconds" -gt 0 ]; then
  row "audit.load.throughput ($audit_seconds s)" "$(rps "$audit_load")" "req/s (errors: $(field errors "$audit_load"))"
  row "audit.load.calls written / dropped" "$audit_written / $audit_dropped" "calls"
  row "audit.load.busy refusals (503)" "$audit_refused" "calls (--audit-high-water back-pressure; wrk counts them as errors)"
  row "audit.load.bytes per call" "$(awk -v b="$audit_growth" -v c="$audit_written" 'BEGIN { printf "%.0f", c ? b / c : 0 }')" "bytes (audit.sqlite + WAL growth / calls written; goal < 1024, 0 dropped)"
fi
engine_rows=$("$bin/crdex_bench_engine")
while read -r name value unit; do
  if [ "$unit" = ratio ]; then row "$name" "$(printf '%.2f' "$value")" "$unit"; else row "$name" "$(printf '%.0f' "$value")" "$unit"; fi
done <<<"$engine_rows"
engine_value() { awk -v n="$1" '$1 == n { print $2 }' <<<"$engine_rows"; }

echo
echo "issue 20's goals (ratios from this run):"
printf '%-44s %14s %s\n' "goal" "measured" "goal"
goal() { printf '%-44s %14s %s\n' "$1" "$2" "$3"; }
goal "1 order_sign, audit on / floor" "$(ratio "$crdex_rps" "$floor_rps")" ">= 0.70"
# A refused call (401/403) is cheap and counts as an error: a run with errors measures refusals.
jwt_goal() {  # alg goal
  local r=${jwt_result[$1]} measured
  measured=$(ratio "$(rps "$r")" "$(rps "${jwt_floor[$1]}")")
  [ "$(field errors "$r")" = 0 ] || measured="$measured, $(field errors "$r") errors: not valid"
  goal "2 order_sign, $1 JWT / floor" "$measured" "$2"
}
jwt_goal RS384 ">= 0.55"
jwt_goal ES384 "(stated)"
goal "3 engine / simdjson parse, guide request" "$(printf '%.2f' "$(engine_value engine.order_sign.ig_example/parse)")" "<= 2.5"
goal "3 engine per order / parse, 20 orders" "$(printf '%.2f' "$(engine_value engine.order_sign.orders_20.per_order/parse)")" "<= 1.5"
if [ "$sustained" -gt 0 ]; then
  first=${sustained_parts[0]}
  failed=0; worst_p99=0; worst_rss=0; calls=0
  for i in "${!sustained_parts[@]}"; do
    p=${sustained_parts[$i]}
    failed=$((failed + $(field errors "$p"))); calls=$((calls + $(field requests "$p")))
    [ "$(field p99_us "$p")" -gt "$worst_p99" ] && worst_p99=$(field p99_us "$p")
    d=$(( ${sustained_rss[$i]} - ${sustained_rss[0]} )); d=${d#-}; [ "$d" -gt "$worst_rss" ] && worst_rss=$d
  done
  goal "4 sustained ${sustained} s at $(awk -v c="$calls" -v s="$sustained" 'BEGIN { printf "%.0f", c / s }') req/s (target $target)" "$failed / $sustained_dropped" "failed calls / audit drops: 0 / 0 ($sustained_busy of the failed: audit back-pressure 503s)"
  goal "4 RSS: worst drift from the first minute" "$(awk -v d="$worst_rss" -v f="${sustained_rss[0]}" 'BEGIN { printf "%.1f%%", 100 * d / f }')" "within 10 % (first minute: ${sustained_rss[0]} kB)"
  goal "4 p99: worst minute / first minute" "$(ratio "$worst_p99" "$(field p99_us "$first")")" "<= 2 (first minute: $(field p99_us "$first") us)"
else
  goal "4 sustained" "skipped" "(SUSTAINED=600 tests/bench/run.sh runs it)"
fi
echo
# Benchmarks other components add (each prints "name value unit" lines).
for extra in "$bin"/crdex_bench_*; do
  case "$(basename "$extra")" in crdex_bench_engine|crdex_bench_floor|crdex_bench_prefetch_fill|crdex_bench_client_tokens) continue ;; esac
  "$extra" | while read -r name value unit; do row "$name" "$value" "$unit"; done
done
# These print their own reports.
# Rule scaling: one payer with 100, 10 k and 100 k generated rules.
[ -x "$bin/crdex-bench-rule-scaling" ] || { echo "(rule scaling and prefetch fill: not built)"; exit 0; }
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
