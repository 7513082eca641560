#!/usr/bin/env bash
# clang-tidy over the project's sources with .clang-tidy's checks; any finding fails.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
[ -f "$build/compile_commands.json" ] || { echo "tidy: configure $build first" >&2; exit 2; }
mapfile -t files < <(git ls-files 'common/*.cpp' 'streaming/*.cpp' 'tpm/*.cpp' 'bootctl/*.cpp' 'agent/*.cpp' 'repo/*.cpp')
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! printf '%s\n' "${files[@]}" |
    xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet --warnings-as-errors='*' >"$log" 2>&1; then
  grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated|^Suppressed|^Use -header-filter' "$log"
  echo "tidy: findings above" >&2
  exit 1
fi
echo "tidy: clean (${#files[@]} files)"
