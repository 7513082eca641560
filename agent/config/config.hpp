// The device's configuration (/etc/ratchet/ratchet.toml, or --config): servers, TLS, storage,
// what anchors the rollback state, the boot environment, the ECUs and how each is installed,
// health checks and limits. Strict: an unknown key or a bad value is BadConfig naming it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace ratchet::config {

inline constexpr std::string_view kDefaultPath = "/etc/ratchet/ratchet.toml";

enum class EcuKind : std::uint8_t { AbRootfs, File, Command };

struct EcuConfig {
  std::string serial;
  std::string hardware_id;
  EcuKind kind = EcuKind::AbRootfs;
  std::filesystem::path slot_a, slot_b;  // AbRootfs: block devices or files
  std::filesystem::path path;            // File: where the image goes; Command: staging file
  // Command: the flash program and its arguments, run without a shell (bootctl/process.hpp)
  // with the staged image's path appended as the last argument.
  std::vector<std::string> command;
};

struct Config {
  std::filesystem::path source;  // the file this was read from

  std::string device_id;
  std::filesystem::path storage_dir = "/var/lib/ratchet";

  std::string director_url, image_url;
  std::string ca_file, client_cert, client_key;

  std::string tcti;                  // [anchor] tcti = "device:/dev/tpmrm0"
  std::filesystem::path anchor_dir;  // [anchor] dir = ... (no TPM: not hardware-anchored)
  std::filesystem::path owner_auth_file;
  std::filesystem::path provisioning_keys;

  std::filesystem::path fw_env_config = "/etc/fw_env.config";
  std::filesystem::path env_defaults;
  std::filesystem::path cmdline = "/proc/cmdline";
  std::filesystem::path watchdog;
  std::uint32_t watchdog_timeout = 120;
  std::vector<std::string> health_checks;
  std::uint32_t check_timeout = 60;
  // Run without a shell, as the ECU command is (an array, or a string split on blanks).
  std::vector<std::string> reboot_command = {"systemctl", "reboot"};

  std::uint64_t max_image_size = std::uint64_t{16} << 30;
  std::uint64_t min_rate = 1024;
  std::uint32_t low_speed_time = 30;
  std::uint32_t connect_timeout = 30;
  std::uint32_t retries = 4;
  // Bytes of image between resume checkpoints (each one an fsync): what a power cut can cost.
  std::uint64_t checkpoint_interval = std::uint64_t{64} << 20;

  std::vector<EcuConfig> ecus;  // the first AbRootfs one is the primary

  [[nodiscard]] const EcuConfig* primary() const;
};

[[nodiscard]] Result<Config> parse_config(std::string_view text,
                                          const std::filesystem::path& source);
[[nodiscard]] Result<Config> load_config(const std::filesystem::path& path);

// What parsing cannot know, checked before anything is downloaded: every ab-rootfs slot exists,
// as a block device (a symbolic link to one, such as /dev/disk/by-partlabel/..., is fine) or a
// regular file named directly. Slots are never created. BadConfig naming the key.
[[nodiscard]] Status check_slots(const Config& c);

}  // namespace ratchet::config
