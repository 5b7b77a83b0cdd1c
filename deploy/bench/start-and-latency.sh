#!/usr/bin/env bash
# Measures, RUNS times: the wall time of `./herald run` (Maven build check with a warm cache
# included) until the platform reports ready, then POST-to-SSE latency (./herald latency), then a
# clean stop. Prints one line per run and the medians. Usage: deploy/bench/start-and-latency.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-3}"
starts=(); medians=(); worsts=()
for run in $(seq 1 "$runs"); do
  log=$(mktemp)
  begin=$(date +%s.%N)
  ./herald run >"$log" 2>&1 &
  pid=$!
  until grep -q "Herald is up" "$log"; do
    if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; exit 1; fi
    sleep 0.2
  done
  ready=$(date +%s.%N)
  start=$(awk -v a="$ready" -v b="$begin" 'BEGIN {printf "%.1f", a - b}')
  latency=$(./herald latency 20 3 | tail -1)
  # SIGTERM: background jobs of a non-interactive shell ignore SIGINT.
  kill -TERM "$pid"; wait "$pid" || true
  median=$(echo "$latency" | sed -E 's/.*median ([0-9.]+) ms.*/\1/')
  worst=$(echo "$latency" | sed -E 's/.*worst ([0-9.]+) ms.*/\1/')
  echo "run $run: ready after ${start} s (launcher: $(grep -oE 'up \([0-9.]+ s\)' "$log")); $latency"
  starts+=("$start"); medians+=("$median"); worsts+=("$worst")
  rm -f "$log"
done
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "median over $runs runs: start $(med "${starts[@]}") s, POST-to-SSE median $(med "${medians[@]}") ms, worst $(med "${worsts[@]}") ms"
