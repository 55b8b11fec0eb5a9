#!/usr/bin/env bash
# Builds the fuzz targets with clang + libFuzzer + ASan/UBSan (the `fuzz`
# preset) and runs each for SECONDS (default 300), keeping what it finds in
# build/fuzz/tests/fuzz/found/<target>. Usage: tests/fuzz/run.sh [SECONDS]
# A crash leaves a crash-* / leak-* / timeout-* file in build/fuzz/tests/fuzz/;
# replay one with: build/fuzz/bin/crdex_fuzz_<target> FILE
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-300}
targets=(hook_request rule_set jwt bundle_signature)

.ci/install-deps --fuzz
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
for target in "${targets[@]}"; do
  echo "== fuzzing $target for ${seconds}s"
  found=build/fuzz/tests/fuzz/found/$target
  mkdir -p "$found"
  build/fuzz/bin/crdex_fuzz_$target -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix=build/fuzz/tests/fuzz/ "$found" "build/fuzz/tests/fuzz/seeds/$target"
done
