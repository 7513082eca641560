#!/usr/bin/env bash
# TPM NV writes of a polling device: epoch-counter increments per simulated day of `ratchet
# update` every 5 minutes (288 runs a day), with the file anchor, against `ratchet-repo serve` on
# loopback. The clock of every ratchet and ratchet-repo process is libfaketime's; the epoch
# counter is read with `ratchet status --json` (`epoch`) before and after each day.
#   day 1..DAYS-1: the Image repository publishes once, at the start of the day (new timestamp,
#                  snapshot and targets, as a daily re-signing does), before the first poll;
#   day DAYS:      nothing new at all.
#   bench/poll-day.sh [DAYS] [RUNS_PER_DAY]     (defaults 3 and 288; the figure in PERFORMANCE.md)
set -euo pipefail
cd "$(dirname "$0")/.."
days=${1:-3}
runs=${2:-288}
bin=${BIN:-build/release/agent}
work=$(mktemp -d /tmp/ratchet-poll-day-XXXXXX)
serve_pid=
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export FAKETIME_DONT_FAKE_MONOTONIC=1 TSS2_LOG=all+NONE
t0=$(date +%s)
# at T COMMAND...: run COMMAND with its clock starting at T (seconds since the epoch).
at() { local t=$1; shift; faketime "$(date -u -d "@$t" '+%Y-%m-%d %H:%M:%S')" "$@"; }

repo=$work/repo
head -c 4096 /dev/urandom >"$work/app-v1.bin"
at "$t0" "$bin/ratchet-repo" init "$repo" >/dev/null
at "$t0" "$bin/ratchet-repo" add-target "$repo" --image "$work/app-v1.bin" --name app-v1.bin \
  --hardware-id bench-board --release-counter 1 >/dev/null
at "$t0" "$bin/ratchet-repo" assign "$repo" --device dev-1 --ecu app --hardware-id bench-board \
  --target app-v1.bin >/dev/null
"$bin/ratchet-repo" serve "$repo" --port 0 --port-file "$work/port" >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$work/port")"

"$bin/ratchet" provision --storage-dir "$work/state" --anchor-dir "$work/anchor" --device-id dev-1 \
  --director-root "$repo/director/dev-1/1.root.json" --image-root "$repo/image/1.root.json" >/dev/null
cat >"$work/ratchet.toml" <<TOML
[device]
id = "dev-1"
storage_dir = "$work/state"
[server]
director_url = "$url/director/dev-1/"
image_url = "$url/image/"
[anchor]
dir = "$work/anchor"
[[ecu]]
serial = "app"
hardware_id = "bench-board"
kind = "file"
path = "$work/app.bin"
TOML
epoch() { at "$1" "$bin/ratchet" status --config "$work/ratchet.toml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["epoch"])'; }
update() { at "$1" "$bin/ratchet" update --config "$work/ratchet.toml" 2>>"$work/update.log" || { echo "ratchet update at $1 failed:" >&2; tail -3 "$work/update.log" >&2; exit 1; }; }

update $((t0 - 300))   # the install of app-v1.bin, before the measured days
cmp -s "$work/app-v1.bin" "$work/app.bin" || { echo "app-v1.bin was not installed" >&2; exit 1; }
printf '%-5s %-34s %6s %12s\n' day server runs increments
total=0
for day in $(seq "$days"); do
  start=$((t0 + (day - 1) * 86400))
  what="nothing new"
  if [ "$day" -lt "$days" ]; then
    what="publishes once (new timestamp)"
    head -c 64 /dev/urandom >"$work/daily.bin"
    at "$start" "$bin/ratchet-repo" add-target "$repo" --image "$work/daily.bin" \
      --name "daily-$day.bin" --hardware-id other-board --release-counter 1 >/dev/null
  fi
  before=$(epoch "$start")
  for i in $(seq 0 $((runs - 1))); do update $((start + i * 86400 / runs)); done
  after=$(epoch $((start + 86399)))
  printf '%-5s %-34s %6s %12s\n' "$day" "$what" "$runs" $((after - before))
  total=$((total + after - before))
done
echo "total: $total increments in $((days * runs)) runs"
