#!/usr/bin/env bash
# Cost of the preload on an exec-heavy loop: bash running /bin/true N times, guarded
# (LD_PRELOAD=libagentguard.so, a watch list and a gate set) versus not, alternating A/B over
# several rounds so drift on a shared machine hits both sides alike. Prints each side's median
# and the ratio guarded/unguarded.
#
# Usage: bench/exec_loop.sh [BUILD_DIR] [N=1000] [ROUNDS=7]
set -euo pipefail

build_dir=${1:-build}
iterations=${2:-1000}
rounds=${3:-7}
lib=$(readlink -f "$build_dir/lib/agentguard/libagentguard.so")
[[ -f $lib ]] || { echo "no preload at $lib (build agentguard_preload first)" >&2; exit 2; }
gate=$(readlink -f "$build_dir/lib/agentguard/agentguard-gate" 2>/dev/null || true)
[[ -x $gate ]] || gate=/bin/false  # never reached: /bin/true is not watched

loop="for ((i = 0; i < $iterations; i++)); do /bin/true; done"

# Wall-clock milliseconds of one loop, with or without the guard.
run_once() {
  local start end
  start=$(date +%s%N)
  if [[ $1 == guarded ]]; then
    env LD_PRELOAD="$lib" AGENTGUARD_LIB="$lib" AGENTGUARD_GATE="$gate" \
      AGENTGUARD_WATCH="v1;p=terraform,tofu,terragrunt,pulumi,cdk,aws;w=sudo,doas,su,pkexec;m=awscli:aws" \
      AGENTGUARD_SESSION=bench bash -c "$loop"
  else
    env bash -c "$loop"
  fi
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

plain=()
guarded=()
run_once plain >/dev/null  # warm the page cache for both sides
run_once guarded >/dev/null
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then
    plain+=("$(run_once plain)")
    guarded+=("$(run_once guarded)")
  else
    guarded+=("$(run_once guarded)")
    plain+=("$(run_once plain)")
  fi
  echo "round $r: plain ${plain[-1]} ms, guarded ${guarded[-1]} ms"
done
plain_median=$(printf '%s\n' "${plain[@]}" | median)
guarded_median=$(printf '%s\n' "${guarded[@]}" | median)
echo "iterations=$iterations rounds=$rounds"
echo "median plain:   $plain_median ms"
echo "median guarded: $guarded_median ms"
awk -v g="$guarded_median" -v p="$plain_median" 'BEGIN { printf "ratio guarded/plain: %.3fx\n", g / p }'
