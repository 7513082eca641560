#!/usr/bin/env bash
# Sets up the machine, builds ratchet and runs the whole test suite.
#   scripts/test.sh              CMake build, all tests through CTest
#   scripts/test.sh --sanitize   the same with ASan + UBSan
#   scripts/test.sh --meson      the meson build and its tests
set -euo pipefail
cd "$(dirname "$0")/.."

variant=release
case "${1:-}" in
  "") ;;
  --sanitize) variant=asan ;;
  --meson) variant=meson ;;
  *) echo "usage: $0 [--sanitize|--meson]" >&2; exit 2 ;;
esac

bash scripts/setup.sh
jobs=$(nproc)
build="build/$variant"
mkdir -p "$build/tmp"
# Tests create their temporary dirs (swtpm state, slots, stores) here, not in the machine's /tmp.
export TMPDIR="$PWD/$build/tmp"
# ccache with paths relative to the clone: a fresh clone elsewhere reuses the objects of an earlier
# one (meson picks ccache up on its own; CMake is told below).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true

if [ "$variant" = meson ]; then
  [ -f "$build/build.ninja" ] || meson setup "$build" -Dwerror=true
  ninja -C "$build" -j"$jobs"
  meson test -C "$build" --print-errorlogs --num-processes "$jobs"
  exit 0
fi

args=(-G Ninja -DRATCHET_WERROR=ON)
if command -v ccache >/dev/null; then
  args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
if [ "$variant" = asan ]; then
  args+=(-DRATCHET_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=RelWithDebInfo)
  # verify_asan_link_order=0: tests run some binaries under faketime (an LD_PRELOAD library).
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:verify_asan_link_order=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
cmake -S . -B "$build" "${args[@]}" >/dev/null
cmake --build "$build" -j"$jobs"
ctest --test-dir "$build" -j"$jobs" --output-on-failure --timeout 600
