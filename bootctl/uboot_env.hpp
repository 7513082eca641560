// BootEnv over libubootenv: the fw_env.config file names one or two (redundant) copies. With two,
// libubootenv writes the copy that is not current and flips the flag only after it, so a power
// cut mid-store leaves the previous environment readable.
#pragma once

#include <filesystem>

#include "bootctl/boot_env.hpp"

namespace ratchet::bootctl {

class UbootEnv final : public BootEnv {
 public:
  // `defaults`: the board's default environment as name=value lines (U-Boot's
  // u-boot-initial-env). Used when the stored one is blank or corrupt; without it such an
  // environment is reported and never overwritten (a store of only our variables would drop
  // U-Boot's own bootcmd and brick the board).
  explicit UbootEnv(std::filesystem::path config, std::filesystem::path defaults = {})
      : config_(std::move(config)), defaults_(std::move(defaults)) {}

  [[nodiscard]] Result<EnvSnapshot> read() override;
  [[nodiscard]] Status write(const Changes& changes) override;
  [[nodiscard]] std::string describe() const override { return "u-boot " + config_.string(); }

 private:
  std::filesystem::path config_;
  std::filesystem::path defaults_;
};

}  // namespace ratchet::bootctl
