#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: first the CI build
# (warnings are errors), then the AddressSanitizer + UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."

.ci/install-deps
jobs=$(nproc)
for preset in ci asan; do
  echo "== $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== $preset: tests"
  ctest --preset "$preset" -j "$jobs"
done
