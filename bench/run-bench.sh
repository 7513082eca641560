#!/usr/bin/env bash
# Runs `ratchet bench` N times on the same image pair and prints the median of every figure and
# ratio, the form docs/PERFORMANCE.md quotes (this machine is shared: single runs are noisy).
#   bench/run-bench.sh [RUNS] [ratchet bench options...]
# e.g. bench/run-bench.sh 5 --image /work/bench-data/new.img --reference /work/bench-data/old.img
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
shift || true
ratchet=${RATCHET:-build/release/agent/ratchet}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for _ in $(seq "$runs"); do
  "$ratchet" --log-level warning bench --json "$@" >>"$out"
done
python3 - "$out" "$runs" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
names = [r["name"] for r in runs[0]["rows"]]
print(f"median of {sys.argv[2]} runs")
print(f"{'stage':<20} {'MB/s':>8} {'min':>8} {'max':>8} {'peak RSS':>12} {'peak anon':>12}")
for n in names:
    rows = [next(r for r in run["rows"] if r["name"] == n) for run in runs]
    mb = [r["mb_per_s"] for r in rows]
    print(f"{n:<20} {statistics.median(mb):8.0f} {min(mb):8.0f} {max(mb):8.0f} "
          f"{statistics.median(r['peak_rss_kib'] for r in rows):9.0f} KiB "
          f"{statistics.median(r['peak_anon_kib'] for r in rows):9.0f} KiB")
for k, label in [("raw_vs_limit", "raw install / min(sha256, write)"),
                 ("zstd_vs_limit", "zstd install / min(zstd decode, write)"),
                 ("delta_vs_zstd", "delta install / zstd install")]:
    v = [run[k] for run in runs]
    print(f"{label:<42} median {statistics.median(v):.2f}  (min {min(v):.2f}, max {max(v):.2f})")
PY
