#!/usr/bin/env bash
# Installs what is missing, builds crdex-server (release) and runs it on
# 127.0.0.1:8080 with the example payer rules; state goes to build/crdex-data.
# Extra arguments are passed to crdex-server (e.g. --clients clients.json).
# A second run starts at once: installing and configuring happen only when
# something is missing, and the build only rebuilds what changed.
#
# Optional environment (the README test uses it to run this script as printed):
#   CRDEX_PORT       the port on 127.0.0.1 (default 8080)
#   CRDEX_PRESET     the CMake preset to build (default release)
#   CRDEX_BUILD_DIR  an already configured build directory to use instead
#   CRDEX_DATA       the state directory (default build/crdex-data)
set -euo pipefail
cd "$(dirname "$0")/.."

.ci/install-deps --server
preset=${CRDEX_PRESET:-release}
build_dir=${CRDEX_BUILD_DIR:-build/$preset}
[ -f "$build_dir/build.ninja" ] || cmake --preset "$preset" >/dev/null
cmake --build "$build_dir" --target crdex-server -j "$(nproc)"
# Local trial: CDS client authentication is off unless you give --clients FILE
# (docs/security.md); crdex-server logs a loud warning about it.
auth=(--insecure-no-client-auth)
for arg in "$@"; do [ "$arg" = --clients ] && auth=(); done
exec "$build_dir/bin/crdex-server" --listen "127.0.0.1:${CRDEX_PORT:-8080}" --rules examples/rules \
  --data "${CRDEX_DATA:-build/crdex-data}" "${auth[@]}" "$@"
