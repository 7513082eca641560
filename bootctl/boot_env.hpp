// The boot environment the bootloader and the agent share: a set of string variables, changed
// only as a whole. U-Boot's through libubootenv (UbootEnv); any other store behind the same seam.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/result.hpp"

namespace ratchet::bootctl {

using Vars = std::map<std::string, std::string>;
using Changes = std::map<std::string, std::optional<std::string>>;  // nullopt: remove it

struct EnvSnapshot {
  Vars vars;
  bool valid = true;  // false: blank or corrupt (no copy with a good CRC); vars are the defaults
};

class BootEnv {
 public:
  BootEnv() = default;
  BootEnv(const BootEnv&) = delete;
  BootEnv& operator=(const BootEnv&) = delete;
  virtual ~BootEnv() = default;

  [[nodiscard]] virtual Result<EnvSnapshot> read() = 0;

  // Every change in ONE store (a power cut leaves the old or the new environment), then read
  // back: BootEnv error if what is stored is not what was written.
  [[nodiscard]] virtual Status write(const Changes& changes) = 0;

  [[nodiscard]] virtual std::string describe() const = 0;
};

}  // namespace ratchet::bootctl
