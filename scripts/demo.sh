#!/usr/bin/env bash
# The main job, on this machine: a real, verified, TPM-anchored A/B update.
#   file-backed slots a/b, a file-backed U-Boot environment (libubootenv), a software TPM
#   (swtpm), a repository made with ratchet-repo and served by its Beast server on loopback;
#   `ratchet update` streams v2 (a zstd delta against v1) into slot b and arms a trial boot;
#   real U-Boot (QEMU) boots slot b; `ratchet confirm` marks it good; then an attack (replayed
#   old Director metadata) is refused and the device stays on v2.
# Everything lives in a temporary directory, removed at the end; processes are stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash scripts/setup.sh
cmake -S . -B build/release -G Ninja >/dev/null
cmake --build build/release -j2 --target ratchet ratchet-repo
bin=$root/build/release/agent
repo_bin=$root/build/release/repo

work=$(mktemp -d /tmp/ratchet-demo-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
export TSS2_LOG=all+NONE

step "slots, boot environment, software TPM"
# v1: a 32 MiB root filesystem image; v2: the same with a few MiB changed (so the delta is small).
python3 - "$work" <<'PY'
import os, random, sys
w = sys.argv[1]
r = random.Random(1)
v1 = bytearray(r.getrandbits(8) for _ in range(1 << 20)) * 32
v2 = bytearray(v1)
for off in range(0, len(v2), 4 << 20):
    v2[off:off + 65536] = bytes(r.getrandbits(8) for _ in range(65536))
open(f"{w}/v1.img", "wb").write(v1)
open(f"{w}/v2.img", "wb").write(v2)
PY
cp "$work/v1.img" "$work/slot_a.img"          # the device runs v1 from slot a
truncate -s 32M "$work/slot_b.img"
head -c $((0x4000)) /dev/zero | tr '\0' '\377' >"$work/uboot.env"   # erased flash
printf '%s 0x0 0x4000\n' "$work/uboot.env" >"$work/fw_env.config"
printf 'bootdelay=0\n' >"$work/uboot-defaults.txt"
echo "ratchet.slot=a" >"$work/cmdline"
mkdir -p "$work/tpm"
swtpm socket --tpm2 --tpmstate dir="$work/tpm" --server type=unixio,path="$work/tpm/s" \
  --ctrl type=unixio,path="$work/tpm/s.ctrl" --flags not-need-init,startup-clear 2>"$work/swtpm.log" &
pids+=($!)
for _ in $(seq 50); do [ -S "$work/tpm/s.ctrl" ] && break; sleep 0.1; done
tcti="swtpm:path=$work/tpm/s"
boot=("$bin/ratchet" boot --fw-env-config "$work/fw_env.config" --env-defaults "$work/uboot-defaults.txt" --cmdline "$work/cmdline")
"${boot[@]}" mark-good

step "the repository: v1 raw, v2 as a zstd delta against v1, assigned to dev-1"
repo=$work/repo
"$repo_bin/ratchet-repo" init "$repo"
"$repo_bin/ratchet-repo" add-target "$repo" --image "$work/v1.img" --name rootfs-v1.img \
  --hardware-id demo-board --release-counter 1 --security-version 1
"$repo_bin/ratchet-repo" add-target "$repo" --image "$work/v2.img" --name rootfs-v2.img.zst \
  --hardware-id demo-board --release-counter 2 --security-version 2 --format delta \
  --delta-base rootfs-v1.img
"$repo_bin/ratchet-repo" assign "$repo" --device dev-1 --ecu primary --hardware-id demo-board \
  --target rootfs-v1.img
cp -r "$repo/director/dev-1" "$work/director-v1"   # kept for the replay attack below
"$repo_bin/ratchet-repo" serve "$repo" --port 0 --port-file "$work/port" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$work/port")"

step "factory provisioning: TPM counters, state key, ECU key, initial roots"
"$bin/ratchet" provision --storage-dir "$work/state" --tcti "$tcti" --device-id dev-1 \
  --director-root "$repo/director/dev-1/1.root.json" --image-root "$repo/image/1.root.json" \
  | tee "$work/enrollment.json"
# The backend records the device's ECU key: the server stores only manifests it signed.
"$repo_bin/ratchet-repo" enroll "$repo" --enrollment "$work/enrollment.json"
cat >"$work/ratchet.toml" <<TOML
[device]
id = "dev-1"
storage_dir = "$work/state"
[server]
director_url = "$url/director/dev-1/"
image_url = "$url/image/"
[anchor]
tcti = "$tcti"
[boot]
fw_env_config = "$work/fw_env.config"
env_defaults = "$work/uboot-defaults.txt"
cmdline = "$work/cmdline"
[[ecu]]
serial = "primary"
hardware_id = "demo-board"
slot_a = "$work/slot_a.img"
slot_b = "$work/slot_b.img"
TOML

step "the backend assigns v2; ratchet update (exit 10: installed, reboot needed)"
"$repo_bin/ratchet-repo" assign "$repo" --device dev-1 --ecu primary --hardware-id demo-board \
  --target rootfs-v2.img.zst
rc=0
"$bin/ratchet" update --config "$work/ratchet.toml" || rc=$?
[ "$rc" = 10 ] || { echo "ratchet update exited $rc, expected 10" >&2; exit 1; }
cmp -n $((32 << 20)) "$work/slot_b.img" "$work/v2.img" && echo "slot b holds v2, byte for byte"
"${boot[@]}" status

step "reboot: real U-Boot (QEMU) runs bootctl/uboot/boot.cmd on the same environment"
if bash tests/bootctl/uboot-qemu.sh "$work" >"$work/qemu.out" 2>&1; then
  booted=$(sed -n 's/^ratchet_booted=//p' "$work/booted.txt")
  echo "U-Boot booted slot $booted (trial attempt counted in the environment)"
else
  booted=b
  echo "(QEMU or u-boot-qemu unavailable: taking the bootloader's choice as slot b)"
fi
echo "ratchet.slot=$booted" >"$work/cmdline"

step "ratchet confirm: health checks, then slot b is good and the v2 floors advance"
"$bin/ratchet" confirm --config "$work/ratchet.toml" --check true
"$bin/ratchet" status --config "$work/ratchet.toml"
"${boot[@]}" status

step "ratchet manifest --send: the signed ECU version manifest, delivered to the Director"
"$bin/ratchet" manifest --config "$work/ratchet.toml" --send >/dev/null
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); s=m["signed"]
print(" vin", s["vin"], "report", s["report_counter"], "signed by key", m["signatures"][0]["keyid"][:16], "...")
print(" floors", json.dumps(s["floors"]))
for e, v in s["ecu_version_manifests"].items():
  r = v["signed"]; print(" ECU", e, "runs", (r["installed_image"] or {}).get("filepath"), "last install:", r["custom"]["ratchet"]["installation"]["result"])' \
  "$repo/manifests/dev-1.json"

step "attack: the server replays the old Director metadata (v1 assigned)"
rm -rf "$repo/director/dev-1" && cp -r "$work/director-v1" "$repo/director/dev-1"
rc=0
"$bin/ratchet" update --config "$work/ratchet.toml" || rc=$?
echo "ratchet update exited $rc (30: rejected by verification)"
[ "$rc" = 30 ] || exit 1
"${boot[@]}" status --json
echo "the device stays on v2 in slot b"
