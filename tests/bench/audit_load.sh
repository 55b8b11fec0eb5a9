#!/usr/bin/env bash
# Issue 17: the audit load row of tests/bench/run.sh on its own (same server flags,
# same wrk script), with busy refusals and where the bytes go (dbstat).
# Usage: [SECONDS_RUN=60] [LUA=tests/bench/order_sign_paced.lua DELAY_MS=8] tests/bench/audit_load.sh
# Needs build/bench (cmake --preset bench && cmake --build --preset bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
bin=build/bench/bin
token_file="$work/acme.token"; (umask 077; head -c 32 /dev/urandom | base64 | tr -d '/+=\n' >"$token_file")
"$bin/crdex-server" --listen 127.0.0.1:0 --rules examples/rules --data "$work/data" --log-level warn --threads 2 --insecure-no-client-auth --publisher-token "acme-health-plan=$token_file" >"$work/out" 2>"$work/err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 300); do url=$(grep -o 'http://[0-9.:]*' "$work/out" 2>/dev/null || true); [ -n "$url" ] && break; read -r -t 0.1 <> <(:) || true; done
metric() { curl -s "$url/metrics" | awk -v m="$1" '$1 == m { printf "%.0f", $2 }'; }
audit_bytes() { cat "$work/data/audit.sqlite" "$work/data/audit.sqlite-wal" 2>/dev/null | wc -c; }
curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary @examples/requests/order-sign.json "$url/cds-services/crdex-order-sign"
for _ in $(seq 1 300); do [ "$(metric crdex_audit_queue_depth)" = 0 ] && break; read -r -t 0.1 <> <(:) || true; done
w0=$(metric crdex_audit_written_total); d0=$(metric crdex_audit_dropped_total); r0=$(metric crdex_audit_busy_refusals_total); b0=$(audit_bytes)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
BODY_FILE=examples/requests/order-sign.json wrk -t1 -c32 -d"${SECONDS_RUN:-60}s" --timeout 10s -s "${LUA:-tests/bench/order_sign.lua}" "$url/cds-services/crdex-order-sign" | tee "$work/wrk"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq 1 300); do [ "$(metric crdex_audit_queue_depth)" = 0 ] && break; read -r -t 0.1 <> <(:) || true; done
w=$(( $(metric crdex_audit_written_total) - w0 )); d=$(( $(metric crdex_audit_dropped_total) - d0 )); r=$(( $(metric crdex_audit_busy_refusals_total) - r0 )); b=$(( $(audit_bytes) - b0 ))
echo "written=$w dropped=$d refused=$r growth=$b bytes_per_call=$(awk -v b=$b -v c=$w 'BEGIN{printf "%.0f", b/c}')"
ls -la "$work/data"
kill $pid; wait $pid || true
python3 - "$work/data/audit.sqlite" <<'PY' || true
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("select count(*) from invocations").fetchone()[0]
print("calls", n, "cards", db.execute("select count(*) from card_origins").fetchone()[0])
try:
    for name, pages in db.execute("select name, count(*) from dbstat group by name order by 2 desc"):
        print(name, round(pages * 4096 / n), "B/call")
except Exception as e: print(e)
PY
rm -rf "$work"
