#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: first the CI build
# (warnings are errors), then the AddressSanitizer + UBSan build, then a
# short libFuzzer run of each fuzz target (clang, the fuzz preset).
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
echo "== fuzz: configure, build and a bounded run of each target"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"
ctest --preset fuzz -j "$jobs"
