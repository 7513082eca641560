#!/usr/bin/env bash
# Boot real U-Boot once under QEMU with ratchet's A/B script, against an environment file that
# libubootenv (fw_printenv/fw_setenv) reads and writes.
#
#   tests/bootctl/uboot-qemu.sh WORKDIR
#
# In:  WORKDIR/uboot.env   single-copy U-Boot environment, 0x4000 bytes (CRC32 LE + data).
#                          Missing, blank or corrupt: U-Boot runs on its default environment.
# Out: WORKDIR/uboot.env   as U-Boot left it (unchanged, byte for byte, if nothing was stored)
#      WORKDIR/booted.txt  "ratchet_booted=a|b" if a slot was booted; absent if none was
#      WORKDIR/fw_env.config  "WORKDIR/uboot.env 0x0 0x4000", for fw_printenv -c / fw_setenv -c
#      WORKDIR/uboot-serial.log, WORKDIR/uboot-disk.img   for debugging
# Exit: 0 QEMU ended by U-Boot's reset; 77 a tool is missing (skip); other: failure
#       (124: timeout). Prints "booted: a|b|none" and the boot's duration.
#
# The disk: MBR, one bootable FAT16 partition at 1 MiB holding /boot.scr (the harness,
# bootctl/uboot/test-harness/wrapper.cmd), /ratchet/boot.scr (bootctl/uboot/boot.cmd) and
# /uboot.env. Debian's qemu-x86_64 U-Boot (2023.01) runs distro_bootcmd: boot_targets
# "usb0 scsi0 virtio0 ide0 dhcp", prefixes "/ /boot/", scripts "boot.scr.uimg boot.scr"; the
# disk is virtio-blk, found as virtio0.
#
# Environment: UBOOT_ROM (default /usr/lib/u-boot/qemu-x86_64/u-boot.rom),
# UBOOT_QEMU_TIMEOUT (seconds, default 60), UBOOT_QEMU_LOCK (default /tmp/ratchet-uboot-qemu.lock:
# QEMU runs are serialised across processes).
set -euo pipefail

usage() { echo "usage: $0 WORKDIR" >&2; exit 2; }
[[ $# -eq 1 ]] || usage
work=$(cd "$1" && pwd) || usage

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src="$here/../../bootctl/uboot"
rom=${UBOOT_ROM:-/usr/lib/u-boot/qemu-x86_64/u-boot.rom}
timeout_s=${UBOOT_QEMU_TIMEOUT:-60}
lock=${UBOOT_QEMU_LOCK:-/tmp/ratchet-uboot-qemu.lock}
env_size=$((0x4000))
PATH="$PATH:/usr/sbin:/sbin"

for tool in qemu-system-x86_64 mkimage mkfs.vfat mcopy mmd flock timeout; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not found" >&2; exit 77; }
done
[[ -r $rom ]] || { echo "skip: $rom not found (Debian: u-boot-qemu)" >&2; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkimage -A x86 -O linux -T script -C none -n ratchet-test -d "$src/test-harness/wrapper.cmd" \
  "$tmp/wrapper.scr" >/dev/null
mkimage -A x86 -O linux -T script -C none -n ratchet -d "$src/boot.cmd" "$tmp/boot.scr" >/dev/null

# FAT16 partition image, then the disk: 1 MiB for the MBR + 15 MiB partition (both sparse).
part="$tmp/part.img"
disk="$work/uboot-disk.img"
truncate -s 15M "$part"
mkfs.vfat -F 16 -n RATCHET "$part" >/dev/null
mcopy -i "$part" "$tmp/wrapper.scr" ::/boot.scr
mmd -i "$part" ::/ratchet
mcopy -i "$part" "$tmp/boot.scr" ::/ratchet/boot.scr
if [[ -f $work/uboot.env ]]; then
  mcopy -i "$part" "$work/uboot.env" ::/uboot.env
fi
rm -f "$disk"
truncate -s 1M "$disk"
# Partition 1: bootable (0x80), type 0x0e (FAT16 LBA), LBA 2048, 30720 sectors; CHS fields
# unused (0xfe 0xff 0xff). Then the boot signature.
printf '\x80\xfe\xff\xff\x0e\xfe\xff\xff\x00\x08\x00\x00\x00\x78\x00\x00' |
  dd of="$disk" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$disk" bs=1 seek=510 conv=notrunc status=none
cat "$part" >>"$disk"

# One boot. stdin is /dev/null: any byte on the serial port would stop autoboot.
log="$work/uboot-serial.log"
start=$(date +%s%N)
rc=0
flock "$lock" timeout "$timeout_s" qemu-system-x86_64 -bios "$rom" -machine pc -m 256 -nographic \
  -no-reboot -nic none -drive "file=$disk,format=raw,if=virtio" </dev/null >"$log" 2>&1 || rc=$?
end=$(date +%s%N)

# Copy the results out of the FAT partition.
rm -f "$work/booted.txt"
if mcopy -n -i "$disk@@1M" ::/booted.txt "$tmp/booted.txt" 2>/dev/null; then
  tr -d '\0' <"$tmp/booted.txt" >"$work/booted.txt"  # env export -t ends with a NUL
  booted=$(sed -n 's/^ratchet_booted=//p' "$work/booted.txt")
else
  booted=none
fi
if mcopy -n -i "$disk@@1M" ::/uboot.env "$tmp/uboot.env" 2>/dev/null; then
  if [[ $(stat -c %s "$tmp/uboot.env") -ne $env_size ]]; then
    echo "error: U-Boot left a uboot.env of $(stat -c %s "$tmp/uboot.env") bytes" >&2
    rc=1
  fi
  cp "$tmp/uboot.env" "$work/uboot.env"
fi
printf '%s 0x0 0x%x\n' "$work/uboot.env" "$env_size" >"$work/fw_env.config"

printf 'booted: %s (%d.%03d s, qemu exit %d)\n' "$booted" $(((end - start) / 1000000000)) \
  $((((end - start) / 1000000) % 1000)) "$rc"
if [[ $rc -ne 0 ]]; then
  echo "--- $log (tail)" >&2
  tail -n 30 "$log" >&2
fi
exit "$rc"
