#include "bootctl/kernel_cmdline.hpp"

#include <cctype>

namespace ratchet::bootctl {
namespace {

bool is_space(char c) noexcept {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

}  // namespace

std::optional<std::string> cmdline_param(std::string_view cmdline, std::string_view key) {
  std::optional<std::string> found;
  std::size_t i = 0;
  while (i < cmdline.size()) {
    while (i < cmdline.size() && is_space(cmdline[i]))
      ++i;
    std::string token;
    bool quoted = false;
    for (; i < cmdline.size() && (quoted || !is_space(cmdline[i])); ++i) {
      if (cmdline[i] == '"')
        quoted = !quoted;
      else
        token += cmdline[i];
    }
    if (token.size() > key.size() && token.starts_with(key) && token[key.size()] == '=')
      found = token.substr(key.size() + 1);
  }
  return found;
}

std::optional<Slot> parse_rauc_slot(std::string_view value) noexcept {
  if (auto s = parse_slot(value)) return s;
  // A slot name: "<class>.<index>" (rootfs.0) or "<class><index>" (system1).
  if (value.size() < 2) return std::nullopt;
  const char index = value.back();
  const char before = value[value.size() - 2];
  if (std::isdigit(static_cast<unsigned char>(before)) != 0) return std::nullopt;  // rootfs.10
  if (index == '0') return Slot::A;
  if (index == '1') return Slot::B;
  return std::nullopt;
}

}  // namespace ratchet::bootctl
