#!/usr/bin/env bash
# Cost of the preload on an exec-heavy loop: bash running /bin/true N times, guarded
# (LD_PRELOAD=libagentguard.so, the default watch list and a gate set) versus not, alternating
# A/B over several rounds so drift on a shared machine hits both sides alike. Prints the
# medians of wall-clock time (the headline ratio) and of CPU time (user+sys of the whole
# process tree, steadier when other work shares the machine).
#
# With BENCH_FLOOR=1 a third side runs under an empty preload (BUILD_DIR/bench/libagentguard-floor.so:
# no code, linked with the preload's own flags): the cost any LD_PRELOAD has on this machine, which
# the guard cannot go below.
#
# Usage: [BENCH_FLOOR=1] bench/exec_loop.sh [BUILD_DIR=build] [N=1000] [ROUNDS=9]
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

sides=(plain guarded)
if [[ ${BENCH_FLOOR:-0} == 1 ]]; then
  floor_lib=$(readlink -f "$build_dir/bench/libagentguard-floor.so")
  [[ -f $floor_lib ]] || { echo "no floor library at $floor_lib (build agentguard_bench_floor)" >&2; exit 2; }
  sides+=(floor)
fi

# Prints "WALL_MS CPU_MS" for one loop.
run_once() {
  local TIMEFORMAT='%R %U %S' timing
  if [[ $1 == guarded ]]; then
    timing=$({ time env LD_PRELOAD="$lib" AGENTGUARD_LIB="$lib" AGENTGUARD_GATE="$gate" \
      AGENTGUARD_WATCH="$watch" AGENTGUARD_SESSION=bench bash -c "$loop"; } 2>&1)
  elif [[ $1 == floor ]]; then
    timing=$({ time env LD_PRELOAD="$floor_lib" AGENTGUARD_LIB="$lib" AGENTGUARD_GATE="$gate" \
      AGENTGUARD_WATCH="$watch" AGENTGUARD_SESSION=bench bash -c "$loop"; } 2>&1)
  else
    timing=$({ time env bash -c "$loop"; } 2>&1)
  fi
  awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' <<<"$timing"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

plain_wall=() plain_cpu=() guarded_wall=() guarded_cpu=() floor_wall=() floor_cpu=()
record() {
  local side=$1 wall cpu
  read -r wall cpu < <(run_once "$side")
  case $side in
    plain) plain_wall+=("$wall"); plain_cpu+=("$cpu") ;;
    guarded) guarded_wall+=("$wall"); guarded_cpu+=("$cpu") ;;
    floor) floor_wall+=("$wall"); floor_cpu+=("$cpu") ;;
  esac
}

for side in "${sides[@]}"; do run_once "$side" >/dev/null; done  # warm the page cache
for ((r = 1; r <= rounds; r++)); do
  # Alternate the order every round so neither side always runs first.
  if ((r % 2)); then order=("${sides[@]}"); else order=(); for ((k = ${#sides[@]} - 1; k >= 0; k--)); do order+=("${sides[k]}"); done; fi
  for side in "${order[@]}"; do record "$side"; done
  echo "round $r: plain ${plain_wall[-1]} ms (cpu ${plain_cpu[-1]}), guarded ${guarded_wall[-1]} ms (cpu ${guarded_cpu[-1]})"
done
pw=$(printf '%s\n' "${plain_wall[@]}" | median)
gw=$(printf '%s\n' "${guarded_wall[@]}" | median)
pc=$(printf '%s\n' "${plain_cpu[@]}" | median)
gc=$(printf '%s\n' "${guarded_cpu[@]}" | median)
echo "iterations=$iterations rounds=$rounds load=$(cut -d' ' -f1-3 /proc/loadavg)"
echo "median wall: plain $pw ms, guarded $gw ms"
echo "median cpu:  plain $pc ms, guarded $gc ms"
if [[ ${#floor_wall[@]} -gt 0 ]]; then
  fw=$(printf '%s\n' "${floor_wall[@]}" | median)
  fc=$(printf '%s\n' "${floor_cpu[@]}" | median)
  echo "median empty preload (floor): wall $fw ms, cpu $fc ms"
  awk -v f="$fw" -v p="$pw" -v fc="$fc" -v pc="$pc" 'BEGIN { printf "floor ratio empty/plain: wall %.3fx, cpu %.3fx\n", f / p, fc / pc }'
fi
awk -v g="$gc" -v p="$pc" 'BEGIN { printf "cpu ratio guarded/plain: %.3fx\n", g / p }'
awk -v g="$gw" -v p="$pw" 'BEGIN { printf "ratio guarded/plain: %.3fx\n", g / p }'
