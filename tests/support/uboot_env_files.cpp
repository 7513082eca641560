#include "tests/support/uboot_env_files.hpp"

#include <fstream>
#include <string>

namespace ratchet::test {

UbootEnvFiles::UbootEnvFiles(const std::filesystem::path& dir, bool redundant)
    : config(dir / "fw_env.config"),
      copy0(dir / "uboot.env"),
      copy1(dir / "uboot-redund.env"),
      defaults(dir / "uboot-defaults.txt") {
  std::filesystem::create_directories(dir);
  const std::string erased(kEnvSize, '\xff');
  std::ofstream(copy0, std::ios::binary) << erased;
  std::ofstream cfg(config);
  cfg << "# test environment\n" << copy0.string() << " 0x0 0x4000\n";
  if (redundant) {
    std::ofstream(copy1, std::ios::binary) << erased;
    cfg << copy1.string() << " 0x0 0x4000\n";
  }
  std::ofstream(defaults) << "bootdelay=0\nbootcmd=run distro_bootcmd\n";
}

}  // namespace ratchet::test
