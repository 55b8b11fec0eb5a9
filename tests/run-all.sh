#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: first the CI build
# (warnings are errors), then the AddressSanitizer + UBSan build. Both replay
# the fuzz targets' seeds (fuzz_replay:*); fuzzing itself is a search, not a
# deterministic test, and runs on demand (tests/fuzz/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { echo "== $1 (at $((SECONDS / 60)) min $((SECONDS % 60)) s)"; }
stage "dependencies"
.ci/install-deps
jobs=$(nproc)
for preset in ci asan; do
  stage "$preset: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  stage "$preset: tests"
  ctest --preset "$preset" -j "$jobs"
done
stage "all passed"
