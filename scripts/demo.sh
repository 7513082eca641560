#!/usr/bin/env bash
# The main job, for a newcomer. Until the agent's end-to-end update lands (issue 7) it sets up the
# machine, builds ratchet and shows its command line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build/release -G Ninja >/dev/null
cmake --build build/release -j"$(nproc)" --target ratchet
./build/release/agent/ratchet --version
./build/release/agent/ratchet --help
