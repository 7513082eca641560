#!/usr/bin/env bash
# shellcheck disable=SC2016  # dpkg-query -f formats use ${Field} literally
# Builds a realistic, reproducible pair of 1 GiB ext4 root filesystem images for delta-update benchmarks:
#   old.img  minimal Debian bookworm (systemd, udev, openssh-server, curl, linux-image-amd64)
#   new.img  the same system after the pending security/stable updates, plus python3
# Usage: sudo bench/make-images.sh OUTDIR   -> OUTDIR/old.img, OUTDIR/new.img, OUTDIR/SHA256SUMS
#        (also OUTDIR/{old,new}.packages: the package versions each image holds)
#
# Packages come only from the Debian mirror this machine's apt is configured with. Two runs against
# the same mirror state give byte-identical images: fixed SOURCE_DATE_EPOCH, UUID and hash seed,
# clamped mtimes, scrubbed machine-specific files, and the tree is staged through a read-only
# squashfs so that mke2fs sees sorted directories and atime = ctime = mtime.
# Env: RATCHET_IMAGE_CACHE (default /var/cache/ratchet-make-images) keeps downloaded .debs between runs.
set -euo pipefail

readonly SUITE=bookworm
readonly BASE_PACKAGES=systemd,systemd-sysv,udev,openssh-server,curl,linux-image-amd64
readonly NEW_PACKAGES=(python3)
readonly IMAGE_BYTES=1073741824
# Fixed values that make the output depend only on package contents (2026-01-01 00:00:00 UTC).
export SOURCE_DATE_EPOCH=1767225600
readonly FS_UUID=7a1c4e2b-0d3f-4b6a-9e58-2c7f1d0a9b31
readonly HASH_SEED=5f0c2d9e-8b1a-4c3d-a7e6-13f4b2c8d905
readonly TOOLS_PACKAGES=(debootstrap squashfs-tools e2fsprogs)
CACHE_DIR=${RATCHET_IMAGE_CACHE:-/var/cache/ratchet-make-images}

WORK=""
MOUNTS=()

log() { printf '[make-images %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf 'make-images: error: %s\n' "$*" >&2; exit 1; }

usage() {
  echo "usage: $0 OUTDIR   (run as root; writes OUTDIR/old.img, OUTDIR/new.img, OUTDIR/SHA256SUMS)" >&2
  exit 2
}

# Unmount in reverse order and remove the work directory, whatever way the script ends.
cleanup() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}" 2>/dev/null || true
  done
  MOUNTS=()
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    # Refuse to recurse into anything still mounted below WORK rather than delete through it.
    if findmnt -rno TARGET | grep -q "^$WORK/"; then
      echo "make-images: warning: mounts left under $WORK; not removing it" >&2
    else
      rm -rf "$WORK"
    fi
  fi
}

do_mount() {  # do_mount TARGET MOUNT-ARGS... : mount and remember it for cleanup
  local target=$1; shift
  mount "$@" "$target"
  MOUNTS+=("$target")
}

do_umount() {  # unmount the most recent mount, which must be TARGET
  local target=$1 last=$((${#MOUNTS[@]} - 1))
  [ "${MOUNTS[$last]}" = "$target" ] || die "internal: unmount order ($target vs ${MOUNTS[$last]})"
  umount "$target"
  unset "MOUNTS[$last]"
}

ensure_tools() {
  local missing=() p
  for p in "${TOOLS_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Prints "URI SUITE" for every enabled deb source apt on this machine uses (one-line and deb822 formats;
# like apt, only *.list and *.sources files in sources.list.d count).
apt_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 3 { print $2, $3 }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no")
          for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j]
        types = ""; enabled = ""; nu = 0; ns = 0
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
        if (key == "types") types = $0
        else if (key == "enabled") enabled = $0
        else if (key == "uris") nu = split($0, u, " ")
        else if (key == "suites") ns = split($0, s, " ")
      }
      END { flush() }' "$f"
  done
}

mirror_for() {  # mirror_for SUITE: the URI apt uses for SUITE, empty if none
  apt_sources | awk -v s="$1" '$2 == s { sub(/\/+$/, "", $1); print $1; exit }'
}

# Chooses the mirrors and writes the sources.list both images carry (the same in both, so that only
# package content differs). "new" is upgraded against every suite newer than the release that is
# configured here: bookworm-security and bookworm-updates on a stock Debian machine.
find_mirrors() {
  MIRROR=$(mirror_for "$SUITE")
  [ -n "$MIRROR" ] || die "no apt source for '$SUITE' in /etc/apt/sources.list{,.d/*}; cannot debootstrap"
  SOURCES="deb $MIRROR $SUITE main"$'\n'
  local suite uri
  UPDATE_SUITES=()
  for suite in "$SUITE-security" "$SUITE-updates"; do
    uri=$(mirror_for "$suite")
    [ -n "$uri" ] || continue
    UPDATE_SUITES+=("$suite")
    SOURCES+="deb $uri $suite main"$'\n'
  done
  log "mirror: $MIRROR; update suites: ${UPDATE_SUITES[*]:-none}"
  [ ${#UPDATE_SUITES[@]} -gt 0 ] ||
    log "warning: no $SUITE-security/-updates source configured: new.img differs from old.img only by ${NEW_PACKAGES[*]}"
}

# Runs a command inside a tree with a clean, fixed environment (no host locale, proxies or hash seed).
in_chroot() {
  local root=$1; shift
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C TZ=UTC \
    DEBIAN_FRONTEND=noninteractive SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" PYTHONHASHSEED=0 \
    chroot "$root" "$@"
}

build_old() {
  local root=$WORK/old
  log "debootstrap $SUITE into old/ (debs cached in $CACHE_DIR/debs)"
  mkdir -p "$CACHE_DIR/debs"
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C TZ=UTC \
    DEBIAN_FRONTEND=noninteractive SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" PYTHONHASHSEED=0 \
    debootstrap --variant=minbase --include="$BASE_PACKAGES" --components=main \
      --cache-dir="$CACHE_DIR/debs" "$SUITE" "$root" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -n 30 "$WORK/debootstrap.log" >&2; die "debootstrap failed (log above)"; }

  # Configuration both images share; written before the copy so it is identical in both.
  printf '%s' "$SOURCES" >"$root/etc/apt/sources.list"
  echo ratchet >"$root/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\tratchet\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
}

# The apt steps of build_new. Called in an `||` context, where set -e is off: every step checks itself.
upgrade_chroot() {
  local root=$1 keep pkg
  local apt=(apt-get -y -q -o APT::Sandbox::User=root -o Acquire::Check-Valid-Until=false
             -o Dpkg::Use-Pty=0 --no-install-recommends)
  in_chroot "$root" "${apt[@]}" update || return 1
  in_chroot "$root" "${apt[@]}" full-upgrade || return 1
  in_chroot "$root" "${apt[@]}" install "${NEW_PACKAGES[@]}" || return 1
  keep=$(in_chroot "$root" dpkg-query -W -f='${Depends}' linux-image-amd64 | sed 's/ .*//') || return 1
  for pkg in $(in_chroot "$root" dpkg-query -W -f='${Package} ${Status}\n' 'linux-image-[0-9]*' |
               awk '/install ok installed/ { print $1 }'); do
    [ "$pkg" = "$keep" ] || in_chroot "$root" "${apt[@]}" purge "$pkg" || return 1
  done
  in_chroot "$root" "${apt[@]}" --purge autoremove || return 1
}

# new = a copy of old, upgraded against the update suites, plus NEW_PACKAGES; then only the newest kernel
# is kept, as a freshly built image would have it (two 400 MB kernels would not fit in 1 GiB anyway).
build_new() {
  local root=$WORK/new
  log "copying old/ to new/"
  cp -a "$WORK/old" "$root"

  # Services must not start in the chroot; apt runs as root so it can use the bind-mounted cache.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  mkdir -p "$CACHE_DIR/archives/partial"
  do_mount "$root/proc" -t proc proc
  do_mount "$root/dev/pts" -t devpts -o newinstance,ptmxmode=0666 devpts
  do_mount "$root/var/cache/apt/archives" --bind "$CACHE_DIR/archives"

  log "new/: apt-get update, full-upgrade, install ${NEW_PACKAGES[*]}"
  upgrade_chroot "$root" >"$WORK/apt-new.log" 2>&1 ||
    { tail -n 30 "$WORK/apt-new.log" >&2; die "upgrading new/ failed (log above)"; }

  do_umount "$root/var/cache/apt/archives"
  do_umount "$root/dev/pts"
  do_umount "$root/proc"
  rm -f "$root/usr/sbin/policy-rc.d"
}

# Removes what differs from one build to the next without being package content: caches, logs,
# machine identity, host keys, backup copies, and dates written by the tools that ran.
scrub_tree() {
  local root=$1 days=$((SOURCE_DATE_EPOCH / 86400))
  rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/archives/partial/*
  find "$root/var/lib/apt/lists" -mindepth 1 -not -name lock -not -name partial -exec rm -rf {} +
  find "$root/var/log" -type f -delete
  rm -f "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old
  rm -f "$root/var/cache/ldconfig/aux-cache"                   # inode numbers and ctimes of the build
  rm -f "$root"/etc/ssh/ssh_host_*                              # random; regenerated on first boot
  : >"$root/etc/machine-id"                                     # empty = "first boot" for systemd
  rm -f "$root/var/lib/dbus/machine-id" "$root/var/lib/systemd/random-seed" "$root/var/lib/systemd/credential.secret"
  : >"$root/etc/resolv.conf"                                    # debootstrap copies the host's
  rm -rf "$root"/tmp/* "$root"/var/tmp/* "$root"/root/.bash_history
  # /etc/shadow's "last password change" is the day the account was created: pin it.
  local f
  for f in "$root/etc/shadow" "$root/etc/shadow-"; do
    [ -f "$f" ] && sed -i -E "s/^([^:]*:[^:]*:)[0-9]+:/\1$days:/" "$f"
  done
  # Anything written during the build gets the fixed time; older package mtimes stay as shipped.
  find "$root" -xdev -newermt "@$SOURCE_DATE_EPOCH" -print0 | xargs -0r touch -h -d "@$SOURCE_DATE_EPOCH"
}

manifest() {  # manifest ROOT: one "package version" line per installed package
  in_chroot "$1" dpkg-query -W -f='${Package}:${Architecture} ${Version}\n' | LC_ALL=C sort
}

# Tree -> squashfs (sorted, mtime only, clamped by SOURCE_DATE_EPOCH) -> read-only mount -> mke2fs -d.
make_image() {
  local name=$1 root=$WORK/$1 out=$2
  local sqfs=$WORK/$name.sqfs mnt=$WORK/$name.mnt img=$WORK/$name.img
  log "$name: squashfs"
  # squashfs-tools 4.5 cannot store POSIX ACLs and says "Unrecognised xattr prefix system.posix_acl_*":
  # that is systemd-tmpfiles' ACL on /var/log/journal, which tmpfiles sets again at boot.
  mksquashfs "$root" "$sqfs" -noappend -reproducible -one-file-system -xattrs \
    -noI -noD -noF -noX -quiet -no-progress >/dev/null
  mkdir -p "$mnt"
  do_mount "$mnt" -t squashfs -o loop,ro "$sqfs"
  log "$name: mke2fs ($((IMAGE_BYTES >> 20)) MiB ext4)"
  truncate -s "$IMAGE_BYTES" "$img"
  E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mke2fs -q -F -t ext4 -b 4096 -I 256 -m 0 -L rootfs \
    -U "$FS_UUID" -E "hash_seed=$HASH_SEED,root_owner=0:0" -d "$mnt" "$img" ||
    die "mke2fs failed for $name (tree too large for $IMAGE_BYTES bytes?)"
  do_umount "$mnt"
  rm -f "$sqfs"
  e2fsck -fn "$img" >/dev/null 2>&1 || die "e2fsck found errors in $name.img"
  mv "$img" "$out/$name.img"
}

up_to_date() {  # both images present and matching SHA256SUMS
  [ -f "$1/old.img" ] && [ -f "$1/new.img" ] && [ -f "$1/SHA256SUMS" ] &&
    (cd "$1" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1)
}

main() {
  [ $# -eq 1 ] || usage
  [ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot and loop-mounting a squashfs need it)"
  mkdir -p "$1"
  local out
  out=$(cd "$1" && pwd)
  if up_to_date "$out"; then
    log "$out/old.img and new.img match SHA256SUMS; nothing to do"
    exit 0
  fi
  [ "$(date +%s)" -gt "$SOURCE_DATE_EPOCH" ] || die "clock is before SOURCE_DATE_EPOCH; mtime clamping would not work"
  rm -f "$out/SHA256SUMS"   # any image written below is unverified until the new sums exist

  ensure_tools
  find_mirrors
  WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/make-images.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  build_old
  build_new
  local name
  for name in old new; do
    manifest "$WORK/$name" >"$out/$name.packages"
    scrub_tree "$WORK/$name"
    make_image "$name" "$out"
    rm -rf "${WORK:?}/$name"
  done
  (cd "$out" && sha256sum old.img new.img >SHA256SUMS)
  log "done:"
  sed 's/^/  /' "$out/SHA256SUMS" >&2
  log "$(wc -l <"$out/old.packages") packages in old, $(wc -l <"$out/new.packages") in new; changed:"
  diff "$out/old.packages" "$out/new.packages" | grep '^[<>]' | sed 's/^/  /' >&2 || true
}

main "$@"
