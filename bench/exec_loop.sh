#!/usr/bin/env bash
# Cost of the preload on an exec-heavy loop: bash running /bin/true N times, guarded
# (LD_PRELOAD=libagentguard.so, the default watch list and a gate set) versus not, alternating
# A/B over several rounds so drift on a shared machine hits both sides alike. Prints the
# medians of wall-clock time (the headline ratio) and of CPU time (user+sys of the whole
# process tree, steadier when other work shares the machine).
#
# Usage: bench/exec_loop.sh [BUILD_DIR=build] [N=1000] [ROUNDS=9]
set -euo pipefail

build_dir=${1:-build}
iterations=${2:-1000}
rounds=${3:-9}
lib=$(readlink -f "$build_dir/lib/agentguard/libagentguard.so")
[[ -f $lib ]] || { echo "no preload at $lib (build agentguard_preload first)" >&2; exit 2; }
gate=$(readlink -f "$build_dir/lib/agentguard/agentguard-gate" 2>/dev/null || true)
[[ -x $gate ]] || gate=/bin/false  # never reached: /bin/true is not watched
watch="v1;p=terraform,tofu,terragrunt,pulumi,cdk,aws;w=sudo,doas,su,pkexec;m=awscli:aws"
loop="for ((i = 0; i < $iterations; i++)); do /bin/true; done"

# Prints "WALL_MS CPU_MS" for one loop.
run_once() {
  local TIMEFORMAT='%R %U %S' timing
  if [[ $1 == guarded ]]; then
    timing=$({ time env LD_PRELOAD="$lib" AGENTGUARD_LIB="$lib" AGENTGUARD_GATE="$gate" \
      AGENTGUARD_WATCH="$watch" AGENTGUARD_SESSION=bench bash -c "$loop"; } 2>&1)
  else
    timing=$({ time env bash -c "$loop"; } 2>&1)
  fi
  awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' <<<"$timing"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

plain_wall=() plain_cpu=() guarded_wall=() guarded_cpu=()
record() {
  local side=$1 wall cpu
  read -r wall cpu < <(run_once "$side")
  if [[ $side == plain ]]; then plain_wall+=("$wall"); plain_cpu+=("$cpu"); else guarded_wall+=("$wall"); guarded_cpu+=("$cpu"); fi
}

run_once plain >/dev/null  # warm the page cache for both sides
run_once guarded >/dev/null
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then record plain; record guarded; else record guarded; record plain; fi
  echo "round $r: plain ${plain_wall[-1]} ms (cpu ${plain_cpu[-1]}), guarded ${guarded_wall[-1]} ms (cpu ${guarded_cpu[-1]})"
done
pw=$(printf '%s\n' "${plain_wall[@]}" | median)
gw=$(printf '%s\n' "${guarded_wall[@]}" | median)
pc=$(printf '%s\n' "${plain_cpu[@]}" | median)
gc=$(printf '%s\n' "${guarded_cpu[@]}" | median)
echo "iterations=$iterations rounds=$rounds load=$(cut -d' ' -f1-3 /proc/loadavg)"
echo "median wall: plain $pw ms, guarded $gw ms"
echo "median cpu:  plain $pc ms, guarded $gc ms"
awk -v g="$gc" -v p="$pc" 'BEGIN { printf "cpu ratio guarded/plain: %.3fx\n", g / p }'
awk -v g="$gw" -v p="$pw" 'BEGIN { printf "ratio guarded/plain: %.3fx\n", g / p }'
