#!/usr/bin/env bash
# CI smoke for the libFuzzer targets: configures a separate clang build (-DAGENTGUARD_FUZZ=ON) in
# a subdirectory of the main build, builds only the fuzz targets, then runs each one for a few
# seconds on the seed corpus. Fails on any crash, leak, sanitizer report or build error.
#
# Usage: tests/bench/fuzz_smoke.sh SOURCE_DIR FUZZ_BUILD_DIR [SECONDS_PER_TARGET=20]
set -euo pipefail

source_dir=$1
fuzz_build=$2
seconds=${3:-20}
targets=(fuzz_http_stream fuzz_aws_classify)

command -v clang >/dev/null && command -v clang++ >/dev/null || { echo "fuzz.smoke: clang/clang++ not installed" >&2; exit 1; }

# The fuzz build needs none of the tests; Ninja then builds only what the two targets depend on.
if [[ ! -f $fuzz_build/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S "$source_dir" -B "$fuzz_build" -G Ninja -DAGENTGUARD_FUZZ=ON \
    -DAGENTGUARD_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$fuzz_build.configure.log" 2>&1 ||
    { cat "$fuzz_build.configure.log" >&2; exit 1; }
fi
cmake --build "$fuzz_build" -j2 --target "${targets[@]}"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for target in "${targets[@]}"; do
  # New inputs go to a scratch corpus (listed first); the committed seeds are only read.
  mkdir -p "$scratch/$target/corpus" "$scratch/$target/artifacts"
  echo "== $target: ${seconds}s on fuzz/corpus/stream"
  if ! "$fuzz_build/bin/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$scratch/$target/artifacts/" "$scratch/$target/corpus" "$source_dir/fuzz/corpus/stream" \
      >"$scratch/$target/log" 2>&1; then
    status=1
    echo "fuzz.smoke: $target FAILED; its log ends:" >&2
    tail -60 "$scratch/$target/log" >&2
    for artifact in "$scratch/$target/artifacts"/*; do
      [[ -f $artifact ]] || continue
      echo "--- crashing input $(basename "$artifact") (base64):" >&2
      base64 "$artifact" >&2
    done
  else
    grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$scratch/$target/log" || true
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$target/log")
    if [[ -z $runs || $runs -lt 100 ]]; then
      echo "fuzz.smoke: $target ran only '${runs:-0}' inputs; the fuzzer did not really run" >&2
      status=1
    fi
  fi
done
exit $status
