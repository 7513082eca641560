#include "common/error.hpp"

#include <array>

namespace ratchet {
namespace {

struct CodeInfo {
  std::string_view name;
  ErrorKind kind;
};

constexpr std::array kCodes = {
#define RATCHET_X(name, kind) CodeInfo{#name, ErrorKind::kind},
    RATCHET_ERROR_CODES(RATCHET_X)
#undef RATCHET_X
};

}  // namespace

std::string_view code_name(Code code) noexcept {
  const auto i = static_cast<std::size_t>(code);
  return i < kCodes.size() ? kCodes[i].name : std::string_view("Unknown");
}

ErrorKind code_kind(Code code) noexcept {
  const auto i = static_cast<std::size_t>(code);
  return i < kCodes.size() ? kCodes[i].kind : ErrorKind::Internal;
}

Error& Error::context(std::string_view where) {
  std::string prefixed;
  prefixed.reserve(where.size() + 2 + message_.size());
  prefixed.append(where).append(": ").append(message_);
  message_ = std::move(prefixed);
  return *this;
}

std::string Error::to_string() const {
  std::string out(name());
  out.append(": ").append(message_);
  return out;
}

}  // namespace ratchet
