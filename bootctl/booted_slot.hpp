// Which slot is running, found from what the kernel and the mounted root say -- never from the
// boot environment, which says only what the bootloader was asked to boot. docs/boot.md lists the
// methods and their order for board integrators.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "bootctl/slot.hpp"

namespace ratchet::bootctl {

// The configured slots of the A/B ECU (block devices, or regular files in tests and demos);
// empty when no configuration names them (then only ratchet.slot= and rauc.slot= can apply).
struct SlotDevices {
  std::filesystem::path a, b;
};

// Where the running system is looked at; every path can point into a test directory.
struct SystemView {
  std::filesystem::path cmdline = "/proc/cmdline";
  std::filesystem::path root = "/";    // its st_dev is the device the root filesystem is on
  std::filesystem::path dev = "/dev";  // /dev/disk/by-partuuid|by-partlabel|by-uuid|by-label
  std::filesystem::path sys = "/sys";  // /sys/dev/block/MAJ:MIN/slaves (dm-verity, dm-linear)
};

struct BootedSlot {
  std::optional<Slot> slot;  // nullopt: cannot be determined
  std::string how;           // the method that found it ("ratchet.slot=b"), or why not
};

// The methods in order: ratchet.slot=, rauc.slot=, root= (a device path, PARTUUID=, PARTLABEL=,
// UUID=, LABEL= or MAJ:MIN) matched against the slot devices, and the device of `root`. Every
// method that applies must agree: two that name different slots make the result unknown.
[[nodiscard]] BootedSlot detect_booted_slot(const SlotDevices& slots, const SystemView& view);

}  // namespace ratchet::bootctl
