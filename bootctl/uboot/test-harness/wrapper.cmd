# ratchet test harness: the /boot.scr that U-Boot's distro boot finds on the test disk
# (tests/bootctl/uboot-qemu.sh builds the disk). It stands in for what a board provides:
#   - "Loading Environment from ...": load /uboot.env from the same FAT partition and
#     `env import -c` it (single-copy format: CRC32 LE + data, 0x4000 bytes, the layout
#     fw_printenv/fw_setenv use with the fw_env.config line "<file> 0x0 0x4000"). A blank or
#     corrupt file fails the CRC and U-Boot's default environment stays, as on a real board.
#   - ratchet_save: `env export -c` and fatwrite back to /uboot.env (a board's saveenv).
#   - ratchet_boot_a / ratchet_boot_b: instead of booting a kernel, record the choice in
#     /booted.txt ("ratchet_booted=a", env export -t) and `reset`, which ends QEMU (-no-reboot).
#     The record goes to its own file so that uboot.env is written only when ratchet's script
#     stores it: a boot that changes nothing leaves uboot.env byte for byte unchanged.
#     If the environment has ratchet_test_broken=<slot>, that slot's hook fails instead (a
#     kernel that does not load), to exercise the script's failure path.
# Then it sources ratchet's real script, /ratchet/boot.scr (built from bootctl/uboot/boot.cmd);
# it lives outside / and /boot/ so distro boot never runs it by itself.
#
# devtype, devnum and distro_bootpart are hush locals set by distro boot; the hooks expand them
# when they run. 0x6000000..0x6300000 is free RAM on qemu-x86 (scriptaddr is 0x7000000).

echo "ratchet-test: harness on ${devtype} ${devnum}:${distro_bootpart}"

if load ${devtype} ${devnum}:${distro_bootpart} 0x6000000 uboot.env; then
  if env import -c 0x6000000 ${filesize}; then
    echo "ratchet-test: imported uboot.env"
  else
    echo "ratchet-test: uboot.env is blank or corrupt: U-Boot default environment"
  fi
else
  echo "ratchet-test: no uboot.env: U-Boot default environment"
fi

# Defined after the import so that a stale copy stored in uboot.env never wins.
setenv ratchet_save 'env export -c -s 0x4000 0x6000000 && fatwrite ${devtype} ${devnum}:${distro_bootpart} 0x6000000 uboot.env 0x4000'
setenv ratchet_boot_a 'ratchet_t=a; run ratchet_test_boot'
setenv ratchet_boot_b 'ratchet_t=b; run ratchet_test_boot'
setenv ratchet_test_boot 'if test "${ratchet_test_broken}" = "${ratchet_t}"; then echo "ratchet-test: slot ${ratchet_t} does not boot (ratchet_test_broken)"; false; else setenv ratchet_booted ${ratchet_t}; env export -t 0x6100000 ratchet_booted; fatwrite ${devtype} ${devnum}:${distro_bootpart} 0x6100000 booted.txt ${filesize}; echo "ratchet-test: booted slot ${ratchet_t}"; reset; fi'

if load ${devtype} ${devnum}:${distro_bootpart} 0x6200000 ratchet/boot.scr; then
  source 0x6200000
fi
echo "ratchet-test: ratchet/boot.scr returned"
reset
