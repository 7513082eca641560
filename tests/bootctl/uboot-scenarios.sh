#!/usr/bin/env bash
# The A/B scenarios of bootctl/uboot/boot.cmd in real U-Boot under QEMU, the environment
# written and read on the host with libubootenv's fw_setenv/fw_printenv (the library the C++
# side uses). Each boot is one tests/bootctl/uboot-qemu.sh run (about 1.2 s under TCG).
#
#   tests/bootctl/uboot-scenarios.sh [SCRATCHDIR]
#
# Exit: 0 all passed, 1 a check failed, 77 a tool is missing (skip).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
boot_once="$here/uboot-qemu.sh"
for tool in fw_printenv fw_setenv md5sum; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not found (Debian: libubootenv-tool)" >&2; exit 77; }
done
if [[ $# -ge 1 ]]; then
  root=$1
  mkdir -p "$root"
else
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
fi

failures=0
W=  # the current scenario's directory

fail() { echo "FAIL [$scenario]: $*"; failures=$((failures + 1)); }

# new_env NAME [var=value ...]: a fresh scenario directory whose uboot.env holds exactly these
# variables (an erased 0xff file first; libubootenv 0.3.2 then needs -f, a default environment,
# and -s takes "name=value" lines).
new_env() {
  scenario=$1
  shift
  W="$root/$scenario"
  rm -rf "$W"
  mkdir -p "$W"
  head -c $((0x4000)) /dev/zero | tr '\0' '\377' >"$W/uboot.env"
  printf '%s 0x0 0x4000\n' "$W/uboot.env" >"$W/fw_env.config"
  : >"$W/defaults.txt"
  printf '%s\n' "$@" >"$W/vars.txt"
  if [[ $# -gt 0 ]]; then
    fw_setenv -c "$W/fw_env.config" -f "$W/defaults.txt" -s "$W/vars.txt" 2>/dev/null ||
      fail "fw_setenv -s"
  fi
  echo "== $scenario: $*"
}
set_var() { fw_setenv -c "$W/fw_env.config" "$@" || fail "fw_setenv $*"; }
get_var() { fw_printenv -c "$W/fw_env.config" -n "$1" 2>/dev/null; }
state() {
  local v out=
  for v in ratchet_slot ratchet_good_a ratchet_good_b ratchet_previous upgrade_available \
           bootcount bootlimit ratchet_both_bad; do
    out+="$v=$(get_var "$v") "
  done
  echo "   $out"
}

# boot EXPECTED_SLOT: one boot; checks which slot the hook saw ("none": no slot booted).
boot() {
  local want=$1 got
  before=$(md5sum 2>/dev/null <"$W/uboot.env")
  "$boot_once" "$W" >"$W/last-run.txt" 2>&1
  local rc=$?
  got=$(sed -n 's/^ratchet_booted=//p' "$W/booted.txt" 2>/dev/null)
  [[ -n $got ]] || got=none
  after=$(md5sum 2>/dev/null <"$W/uboot.env")
  echo "   boot -> $got ($(sed -n 's/^booted: [a-z]* (\([0-9.]* s\).*/\1/p' "$W/last-run.txt"))$(
    [[ $before == "$after" ]] && echo ", uboot.env not written")"
  grep '^ratchet:' "$W/uboot-serial.log" | sed 's/^/     | /'
  [[ $rc -eq 0 ]] || fail "uboot-qemu.sh exit $rc (see $W/uboot-serial.log)"
  [[ $got == "$want" ]] || fail "booted $got, expected $want"
}
expect() {  # expect VAR VALUE ("" = unset)
  local got
  got=$(get_var "$1")
  [[ $got == "$2" ]] || fail "$1='$got', expected '$2'"
}
expect_unwritten() { [[ $before == "$after" ]] || fail "uboot.env was written"; }
expect_written() { [[ $before != "$after" ]] || fail "uboot.env was not written"; }

# 1. Normal boot: a confirmed slot, no trial. Boots ratchet_slot and writes nothing.
new_env normal ratchet_slot=b ratchet_good_a=1 ratchet_good_b=1 upgrade_available=0 bootcount=0 bootlimit=3
boot b; expect_unwritten; state

# 2. Trial of a (armed as the C++ arm_trial does), confirmed after the first boot.
new_env trial-confirmed ratchet_slot=b ratchet_good_a=1 ratchet_good_b=1 upgrade_available=0 bootcount=0 bootlimit=3
set_var ratchet_slot a; set_var ratchet_previous b; set_var ratchet_good_a 0; set_var upgrade_available 1
boot a; expect_written; expect bootcount 1; expect upgrade_available 1; state
# Linux confirms (mark_good): good, stop counting, drop the fallback.
set_var ratchet_good_a 1; set_var upgrade_available 0; set_var bootcount 0; set_var ratchet_previous
boot a; expect_unwritten; state

# 3. Trial of a never confirmed, bootlimit=3: three trial boots, the 4th falls back to b.
new_env trial-fails ratchet_slot=a ratchet_previous=b ratchet_good_a=0 ratchet_good_b=1 upgrade_available=1 bootcount=0 bootlimit=3
for n in 1 2 3; do
  boot a; expect bootcount "$n"; expect ratchet_slot a; expect upgrade_available 1
done
state
boot b; expect ratchet_slot b; expect ratchet_good_a 0; expect upgrade_available 0; expect bootcount 0
expect ratchet_previous ""; expect ratchet_both_bad ""; state
boot b; expect_unwritten

# 4. Trial of a whose kernel does not even load (the hook returns): U-Boot resets, each attempt
#    counted; the 4th boot falls back.
new_env trial-broken-kernel ratchet_slot=a ratchet_previous=b ratchet_good_a=0 ratchet_good_b=1 upgrade_available=1 bootcount=0 bootlimit=3 ratchet_test_broken=a
for n in 1 2 3; do boot none; expect bootcount "$n"; done
boot b; expect ratchet_slot b; expect ratchet_good_a 0; expect upgrade_available 0; state

# 5. Both slots marked bad, no trial: boot ratchet_slot anyway, set ratchet_both_bad=1, once.
new_env both-bad ratchet_slot=a ratchet_good_a=0 ratchet_good_b=0 upgrade_available=0 bootcount=0 bootlimit=3
boot a; expect_written; expect ratchet_both_bad 1; expect ratchet_slot a; state
boot a; expect_unwritten

# 6. A failed trial whose fallback is bad too: falls back, and reports both bad.
new_env trial-fails-both-bad ratchet_slot=b ratchet_previous=a ratchet_good_a=0 ratchet_good_b=0 upgrade_available=1 bootcount=3 bootlimit=3
boot a; expect ratchet_slot a; expect ratchet_good_b 0; expect upgrade_available 0; expect ratchet_both_bad 1; state

# 7. No trial, ratchet_slot marked bad, the other slot good: boot the other and make it the slot.
new_env slot-bad-other-good ratchet_slot=a ratchet_good_a=0 ratchet_good_b=1 upgrade_available=0
boot b; expect ratchet_slot b; expect ratchet_both_bad ""; state

# 8. Blank (erased) and corrupt environments: U-Boot's default environment, no ratchet
#    variables: slot a, nothing written (Linux sees the same blank/corrupt file and applies the
#    same defaults).
new_env blank
boot a; expect_unwritten
new_env corrupt ratchet_slot=b ratchet_good_b=1 upgrade_available=0
printf 'X' | dd of="$W/uboot.env" bs=1 seek=8 conv=notrunc status=none  # breaks the CRC
boot a; expect_unwritten
new_env missing; rm -f "$W/uboot.env"
boot a; [[ ! -e $W/uboot.env ]] || fail "uboot.env created"

# 9. Missing variables: only upgrade_available=1. Trial of a (the default slot), bootcount
#    from 0, bootlimit 3; stores ratchet_slot=a with the count.
new_env missing-vars upgrade_available=1
boot a; expect ratchet_slot a; expect bootcount 1; expect bootlimit ""; state
set_var bootcount 3
boot b; expect ratchet_slot b; expect ratchet_good_a 0; expect upgrade_available 0; state

# 10. Malformed values: bootlimit "abc" reads as 3, bootlimit 0 as 3, bootcount "x" is exhausted.
new_env bad-bootlimit ratchet_slot=a ratchet_good_b=1 upgrade_available=1 bootcount=2 bootlimit=abc
boot a; expect bootcount 3
boot b; expect ratchet_slot b
new_env zero-bootlimit ratchet_slot=a ratchet_good_b=1 upgrade_available=1 bootcount=3 bootlimit=0
boot b; expect ratchet_slot b
new_env bad-bootcount ratchet_slot=a ratchet_good_b=1 upgrade_available=1 bootcount=x bootlimit=3
boot b; expect ratchet_slot b; expect ratchet_good_a 0
new_env big-bootlimit ratchet_slot=a ratchet_good_b=1 upgrade_available=1 bootcount=9 bootlimit=10
boot a; expect bootcount 10

# 11. Builds WITH CONFIG_BOOTCOUNT_LIMIT (ratchet_uboot_bootcount=1 in the board environment):
#     U-Boot counted already; the script only checks the limit and writes nothing within it.
new_env uboot-counts ratchet_slot=a ratchet_good_b=1 upgrade_available=1 bootcount=3 bootlimit=3 ratchet_uboot_bootcount=1
boot a; expect_unwritten; expect bootcount 3
set_var bootcount 4
boot b; expect ratchet_slot b; expect bootcount 0; expect upgrade_available 0

# 12. A confirmed slot whose kernel does not load (the hook returns): the other slot is tried,
#     nothing is written (no trial, so no count and no state change).
new_env confirmed-broken-kernel ratchet_slot=b ratchet_good_a=1 ratchet_good_b=1 upgrade_available=0 ratchet_test_broken=b
boot a; expect_unwritten; expect ratchet_slot b

if [[ $failures -eq 0 ]]; then
  echo "all scenarios passed"
  exit 0
fi
echo "$failures check(s) failed"
exit 1
