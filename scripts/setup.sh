#!/usr/bin/env bash
# Installs every Debian package that ratchet's build, tests, benchmarks and demo need.
# Idempotent: packages already present are skipped; nothing comes from outside Debian's archive.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build meson pkg-config ccache
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libfmt-dev
  libssl-dev libcurl4-openssl-dev libzstd-dev liblmdb-dev
  libtss2-dev libubootenv-dev libboost-dev libarchive-dev
  clang-14 libclang-rt-14-dev clang-format
  # tests, demo, benchmarks
  zstd lmdb-utils libubootenv-tool debootstrap squashfs-tools
  swtpm swtpm-tools tpm2-tools libtss2-tcti-swtpm0
  python3 python3-securesystemslib python3-cryptography python3-nacl
  faketime nginx-light curl
  u-boot-qemu u-boot-tools qemu-system-x86 dosfstools mtools e2fsprogs
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
