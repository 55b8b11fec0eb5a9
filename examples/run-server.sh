#!/usr/bin/env bash
# Installs what is missing, builds crdex-server (release) and runs it on
# 127.0.0.1:8080 with the example payer rules; state goes to build/crdex-data.
# Extra arguments are passed to crdex-server (e.g. --listen 127.0.0.1:9090,
# --clients clients.json).
set -euo pipefail
cd "$(dirname "$0")/.."

.ci/install-deps
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
# Local trial: CDS client authentication is off unless you give --clients FILE
# (docs/security.md); crdex-server logs a loud warning about it.
auth=(--insecure-no-client-auth)
for arg in "$@"; do [ "$arg" = --clients ] && auth=(); done
exec build/release/bin/crdex-server --listen 127.0.0.1:8080 --rules examples/rules --data build/crdex-data "${auth[@]}" "$@"
