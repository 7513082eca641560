// A file-backed redundant U-Boot environment for tests: two copies and the fw_env.config that
// names them, in a temporary directory (never the machine's /etc/fw_env.config).
#pragma once

#include <filesystem>
#include <string>

namespace ratchet::test {

inline constexpr std::size_t kEnvSize = 0x4000;

struct UbootEnvFiles {
  std::filesystem::path config, copy0, copy1, defaults;

  // Blank copies (all 0xff, as erased flash: no valid CRC) and a defaults file.
  explicit UbootEnvFiles(const std::filesystem::path& dir, bool redundant = true);
};

}  // namespace ratchet::test
