#!/usr/bin/env bash
# Both build systems must build the same thing: every .cpp named in a CMakeLists.txt is named in
# the meson.build beside it, and the other way round.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for dir in common streaming tpm bootctl agent tests bench; do
  cm=$(grep -o '[A-Za-z0-9_/.-]*\.cpp' "$dir/CMakeLists.txt" | sort -u)
  ms=$(grep -o "[A-Za-z0-9_/.-]*\.cpp" "$dir/meson.build" | sort -u)
  if [ "$cm" != "$ms" ]; then
    echo "build lists differ in $dir/:"; diff <(echo "$cm") <(echo "$ms") | sed 's/^/  /'
    status=1
  fi
done
[ $status -eq 0 ] && echo "build lists: CMake and meson name the same sources"
exit $status
