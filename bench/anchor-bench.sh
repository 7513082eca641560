#!/usr/bin/env bash
# Runs bench/anchor_bench against a private swtpm (unix sockets in a temp dir, killed by PID) and
# prints medians of REPS repetitions: the figures docs/PERFORMANCE.md quotes.
#   bench/anchor-bench.sh [REPS]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
bench=${ANCHOR_BENCH:-build/release/bench/anchor_bench}
dir=$(mktemp -d /tmp/ratchet-swtpm-bench-XXXXXX)
swtpm socket --tpm2 --tpmstate dir="$dir" --server type=unixio,path="$dir/s" \
  --ctrl type=unixio,path="$dir/s.ctrl" --flags not-need-init,startup-clear &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do [ -S "$dir/s.ctrl" ] && break; sleep 0.1; done
TSS2_LOG=all+NONE RATCHET_BENCH_TCTI="swtpm:path=$dir/s" "$bench" \
  --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_filter="${FILTER:-.}" 2>&1 | grep -E "median|^Benchmark|^-|Run on|Load Average"
