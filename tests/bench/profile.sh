#!/usr/bin/env bash
# Instruction profile of crdex-server answering a fixed number of hook calls
# (callgrind counts instructions: repeatable on a shared, noisy machine).
# Usage: tests/bench/profile.sh [CALLS] [RS384|ES384]   (default 2000, no client auth)
# The guide's order-sign request with its full prefetch and fhirAuthorization,
# the default compact audit on, --threads 2. Prints instructions per call and
# the functions that take them (inclusive; start-up not counted), and leaves the callgrind output in
# build/bench/profile/ for callgrind_annotate.
# Needs the `bench` preset built (tests/bench/run.sh builds it) and valgrind.
set -euo pipefail
cd "$(dirname "$0")/../.."
calls=${1:-2000}
auth=${2:-}
bin=build/bench/bin
out=build/bench/profile
mkdir -p "$out"
work=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

auth_args=(--insecure-no-client-auth)
audience=https://crd.bench.example/cds-services/crdex-order-sign
if [ -n "$auth" ]; then
  # The request's fhirServer is not on the client's own origin: the client names it.
  "$bin/crdex_bench_client_tokens" "$auth" "$calls" "$audience" "$work" \
    "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["fhirServer"])' examples/requests/order-sign.json)"
  auth_args=(--clients "$work/clients.json" --public-url https://crd.bench.example)
fi
valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" --instr-atstart=no \
  "$bin/crdex-server" --listen 127.0.0.1:0 --rules examples/rules --data "$work/data" --log-level warn --threads 2 \
  "${auth_args[@]}" >"$work/out" 2>"$work/err" &
server=$!
for _ in $(seq 1 600); do
  url=$(grep -o 'http://[0-9.:]*' "$work/out" 2>/dev/null || true)
  [ -n "$url" ] && break
  read -r -t 0.1 <> <(:) || true
done
[ -n "$url" ] || { echo "server did not start" >&2; cat "$work/err" >&2; exit 1; }
# Counted from here: the calls, and the shutdown that writes their audit records.
callgrind_control -i on "$server" >/dev/null
python3 - "$url" "$calls" examples/requests/order-sign.json "${auth:+$work/tokens.txt}" <<'PY'
import http.client, sys, urllib.parse
url, calls, body_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tokens = open(sys.argv[4]).read().split() if len(sys.argv) > 4 and sys.argv[4] else None
body = open(body_file, "rb").read()
u = urllib.parse.urlparse(url)
c = http.client.HTTPConnection(u.hostname, u.port)
for i in range(calls):
    headers = {"Content-Type": "application/json"}
    if tokens: headers["Authorization"] = "Bearer " + tokens[i]
    c.request("POST", "/cds-services/crdex-order-sign", body, headers)
    r = c.getresponse(); r.read()
    if r.status != 200: sys.exit(f"call {i}: HTTP {r.status}")
PY
kill -TERM "$server"; wait "$server" || true; server=
total=$(callgrind_annotate "$out/callgrind.out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
echo "instructions per call (the calls and the audit writes at shutdown; start-up not counted): $((total / calls))"
callgrind_annotate --inclusive=yes "$out/callgrind.out" 2>/dev/null | sed -n '1,80p' | grep -v '^--' | grep -v '^$' | head -60
