# ratchet: A/B slot selection for U-Boot (hush script).
#
# Build:  mkimage -A arm -O linux -T script -C none -n ratchet -d boot.cmd boot.scr
#         (-A is cosmetic for scripts; any architecture's U-Boot runs it.)
# U-Boot's distro boot finds it as /boot.scr or /boot/boot.scr on the first bootable partition;
# or the board's bootcmd can `load` and `source` it.
#
# Needs only: test, setenv, env exists, run, echo, reset, and saveenv (or the ratchet_save hook).
# Deliberately NOT setexpr: many builds lack it (Debian's qemu-x86_64 U-Boot does) and it
# computes in hex (9 + 1 = "a"), which neither this script's `test -gt` nor libubootenv readers
# would parse as 10.
#
# ---- Environment variables (the C++ side, bootctl/ab_state.*, uses the same names) -----------
#   ratchet_slot       a|b  slot to boot. Missing or malformed: a.
#   ratchet_good_a/_b  1 = confirmed good, 0 = bad, missing = not known (treated as not bad).
#   ratchet_previous   a|b  fallback while a trial is armed. With two slots the fallback is
#                      always the other slot, so this script does not need it; it deletes it when
#                      it falls back (as the C++ mark_bad does).
#   upgrade_available  1 = a trial boot of ratchet_slot is armed; anything else = no trial.
#   bootcount          trial boot attempts so far (decimal). Counted ONLY while
#                      upgrade_available=1, so a confirmed slot never fails over because of
#                      brownouts or watchdog resets. Missing = 0; a value that is not a decimal
#                      0..99 counts as exhausted (falls back).
#   bootlimit          attempts allowed (decimal 1..99; missing, 0 or malformed = 3).
#   ratchet_both_bad   set to 1 by this script when it boots a slot that is marked bad because
#                      the other one is bad too (never refuse to boot). Only Linux clears it
#                      (arming a trial or confirming a slot deletes it), so the bootloader never
#                      writes just to clear a flag.
#
# ---- Board hooks (board default environment, CONFIG_EXTRA_ENV_SETTINGS / board .env) --------
#   ratchet_boot_a, ratchet_boot_b   load the slot's kernel and boot it; return only on failure.
#       Pass the slot to Linux by name, not via ${ratchet_slot}, e.g.
#       ratchet_boot_a=setenv bootargs "${bootargs_common} root=PARTLABEL=rootfs_a ratchet.slot=a";
#                      load mmc 0:2 ${kernel_addr_r} /boot/Image && booti ${kernel_addr_r} - ${fdtcontroladdr}
#   ratchet_save       optional: how to store the environment; default `saveenv`.
#   ratchet_uboot_bootcount=1   set on builds WITH CONFIG_BOOTCOUNT_LIMIT: U-Boot has already
#       counted this boot (bootcount_inc) before bootcmd, so this script only checks the limit.
#       Such builds must also set altbootcmd=run bootcmd (U-Boot runs altbootcmd INSTEAD of
#       bootcmd once bootcount > bootlimit; unset, it stops at the prompt). See README.md.
#
# ---- Rules, in order -------------------------------------------------------------------------
#   1. Trial armed (upgrade_available=1): bootcount+1. If that exceeds bootlimit, fall back: boot
#      the other slot; ratchet_good_<failed>=0, upgrade_available=0, bootcount=0,
#      ratchet_previous deleted. With bootlimit=3 the 4th boot falls back.
#   2. No trial, and the slot is marked bad (ratchet_good_<slot>=0): boot the other slot if it is
#      not marked bad (and make it ratchet_slot); if both are marked bad boot ratchet_slot anyway
#      (after a fallback that is the last slot known good) and set ratchet_both_bad=1.
#   3. Store the environment once, and only if something above changed: a confirmed boot writes
#      nothing. If that store fails during a trial, the attempt could not be counted, so the
#      trial is not booted (the other slot is, this time only).
#   4. run ratchet_boot_<slot>. If it returns: during a trial reset (the attempt is counted, so
#      the trial runs out); otherwise try the other slot, then reset. Never stop at a prompt.
#
# Names beginning with ratchet_ and assigned with name=value below are hush locals: they are not
# in the environment and are never stored.

ratchet_dirty=0
ratchet_trial=0
if test "${ratchet_slot}" = b; then
  ratchet_cur=b
  ratchet_other=a
else
  ratchet_cur=a
  ratchet_other=b
  if test "${ratchet_slot}" != a; then
    echo "ratchet: ratchet_slot=\"${ratchet_slot}\" is missing or not a|b: slot a"
  fi
fi

# ---- 1. trial boot ---------------------------------------------------------------------------
if test "${upgrade_available}" = 1; then
  ratchet_trial=1
  if test -z "${bootcount}"; then
    ratchet_bc=0
  else
    ratchet_bc=${bootcount}
  fi
  # One pass over 0..100: validate bootlimit, and find bootcount+1 (or, when U-Boot counted,
  # check that bootcount is a number). ratchet_next stays "none" for anything else.
  ratchet_limit=3
  ratchet_next=none
  ratchet_prev=none
  for ratchet_n in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 92 93 94 95 96 97 98 99 100; do
    if test "${ratchet_n}" = "${bootlimit}" && test "${ratchet_n}" != 0 && test "${ratchet_n}" != 100; then
      ratchet_limit=${ratchet_n}
    fi
    if test "${ratchet_uboot_bootcount}" = 1; then
      if test "${ratchet_n}" = "${ratchet_bc}"; then
        ratchet_next=${ratchet_n}
      fi
    elif test "${ratchet_prev}" = "${ratchet_bc}"; then
      ratchet_next=${ratchet_n}
    fi
    ratchet_prev=${ratchet_n}
  done

  if test "${ratchet_next}" = none || test "${ratchet_next}" -gt "${ratchet_limit}"; then
    echo "ratchet: trial of slot ${ratchet_cur} used up its ${ratchet_limit} boots (bootcount=${bootcount}): falling back to slot ${ratchet_other}"
    setenv ratchet_good_${ratchet_cur} 0
    setenv upgrade_available 0
    setenv bootcount 0
    setenv ratchet_previous
    ratchet_failed=${ratchet_cur}
    ratchet_cur=${ratchet_other}
    ratchet_other=${ratchet_failed}
    ratchet_trial=0
    ratchet_dirty=1
  elif test "${ratchet_uboot_bootcount}" = 1; then
    echo "ratchet: trial of slot ${ratchet_cur}: attempt ${ratchet_next} of ${ratchet_limit} (counted by U-Boot)"
  else
    setenv bootcount ${ratchet_next}
    echo "ratchet: trial of slot ${ratchet_cur}: attempt ${ratchet_next} of ${ratchet_limit}"
    ratchet_dirty=1
  fi
fi

# ---- 2. no trial: never prefer a slot marked bad, never refuse to boot ------------------------
if test "${ratchet_trial}" = 0; then
  if test "${ratchet_cur}" = a; then
    ratchet_cur_good=${ratchet_good_a}
    ratchet_other_good=${ratchet_good_b}
  else
    ratchet_cur_good=${ratchet_good_b}
    ratchet_other_good=${ratchet_good_a}
  fi
  if test "${ratchet_cur_good}" = 0; then
    if test "${ratchet_other_good}" != 0; then
      echo "ratchet: slot ${ratchet_cur} is marked bad and no trial is armed: slot ${ratchet_other}"
      ratchet_failed=${ratchet_cur}
      ratchet_cur=${ratchet_other}
      ratchet_other=${ratchet_failed}
      ratchet_dirty=1
    else
      echo "ratchet: both slots are marked bad: booting slot ${ratchet_cur} anyway"
      if test "${ratchet_both_bad}" != 1; then
        setenv ratchet_both_bad 1
        ratchet_dirty=1
      fi
    fi
  fi
fi

# ---- 3. store, once, only on change ----------------------------------------------------------
if test "${ratchet_dirty}" = 1; then
  setenv ratchet_slot ${ratchet_cur}
  ratchet_saved=0
  if env exists ratchet_save; then
    if run ratchet_save; then
      ratchet_saved=1
    fi
  elif saveenv; then
    ratchet_saved=1
  fi
  if test "${ratchet_saved}" != 1; then
    echo "ratchet: WARNING: storing the environment failed"
    if test "${ratchet_trial}" = 1; then
      echo "ratchet: the trial attempt was not counted: booting slot ${ratchet_other} this time"
      ratchet_failed=${ratchet_cur}
      ratchet_cur=${ratchet_other}
      ratchet_other=${ratchet_failed}
      ratchet_trial=0
    fi
  fi
fi

# ---- 4. boot ---------------------------------------------------------------------------------
echo "ratchet: booting slot ${ratchet_cur}"
run ratchet_boot_${ratchet_cur}
echo "ratchet: ERROR: booting slot ${ratchet_cur} failed"
if test "${ratchet_trial}" = 0; then
  echo "ratchet: trying slot ${ratchet_other}"
  run ratchet_boot_${ratchet_other}
  echo "ratchet: ERROR: booting slot ${ratchet_other} failed"
fi
reset
