#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (ASan + UBSan + libFuzzer) and runs each for a while.
#   scripts/fuzz.sh [SECONDS]    (default 30)
# clang builds its own copy of the sources it needs: its Result type is the std::expected
# stand-in (libstdc++ 12's <expected> does not build with clang-14), so GCC-built libraries
# cannot be linked in.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
out=build/fuzz
mkdir -p "$out/corpus"
cp -n tests/fuzz/corpus/* "$out/corpus/" 2>/dev/null || true
sources=(common/error.cpp common/hex.cpp common/log.cpp common/constant_time.cpp common/fd.cpp
         common/file.cpp streaming/hasher.cpp agent/tuf/canonical_json.cpp agent/tuf/keys.cpp
         agent/tuf/metadata.cpp tests/fuzz/metadata_fuzzer.cpp)
clang++-14 -std=c++2b -O1 -g -I. -DRATCHET_VERSION='"fuzz"' \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  "${sources[@]}" $(pkg-config --cflags --libs fmt libcrypto) -o "$out/metadata_fuzzer"
"$out/metadata_fuzzer" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
  -print_final_stats=1 "$out/corpus" 2>&1 | tail -15
echo "fuzz: metadata_fuzzer ran ${seconds}s without a finding"
