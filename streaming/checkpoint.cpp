#include "streaming/checkpoint.hpp"

#include <charconv>
#include <sstream>

#include "common/file.hpp"
#include "common/hex.hpp"
#include "common/log.hpp"

namespace ratchet::streaming {
namespace {

constexpr std::string_view kMagic = "ratchet-checkpoint 1";

Result<std::uint64_t> parse_u64(std::string_view s, std::string_view key) {
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    return fail(Code::BadConfig, "checkpoint: {} is not a number", key);
  return v;
}

Result<std::string> parse_hex(std::string_view s) {
  auto bytes = RATCHET_TRY(from_hex(s));
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace

std::filesystem::path head_path(const std::filesystem::path& checkpoint) {
  auto p = checkpoint;
  p += ".head";
  return p;
}

Status remove_checkpoint_temps(const std::filesystem::path& checkpoint) {
  RATCHET_TRY(remove_file(atomic_temp_path(checkpoint)));
  return remove_file(atomic_temp_path(head_path(checkpoint)));
}

Status remove_checkpoint_files(const std::filesystem::path& checkpoint) {
  RATCHET_TRY(remove_file(checkpoint));
  RATCHET_TRY(remove_file(head_path(checkpoint)));
  return remove_checkpoint_temps(checkpoint);
}

void remove_checkpoint(const std::filesystem::path& checkpoint) {
  if (checkpoint.empty()) return;
  if (auto removed = remove_checkpoint_files(checkpoint); !removed)
    log::warning("{}", removed.error().message());
}

Status Checkpoint::save(const std::filesystem::path& path) const {
  const auto hex = [](const std::string& s) {
    return to_hex(std::as_bytes(std::span(s.data(), s.size())));
  };
  const std::string text = fmt::format(
      "{}\nidentity {}\npayload_offset {}\nimage_offset {}\npayload_state {}\n"
      "image_state {}\n",
      kMagic, identity, payload_offset, image_offset, hex(payload_state), hex(image_state));
  return write_file_atomic(path, text, 0600);
}

Result<std::optional<Checkpoint>> Checkpoint::load(const std::filesystem::path& path) {
  auto text = read_file(path, std::uint64_t{64} * 1024);
  if (!text) {
    if (text.error().code() == Code::NotFound) return std::optional<Checkpoint>();
    return fail(std::move(text).error());
  }
  std::istringstream in(*text);
  std::string line;
  if (!std::getline(in, line) || line != kMagic)
    return fail(Code::BadConfig, "{}: not a ratchet checkpoint", path.string());
  Checkpoint c;
  int seen = 0;
  while (std::getline(in, line)) {
    const auto space = line.find(' ');
    const std::string_view key = std::string_view(line).substr(0, space);
    const std::string_view value =
        space == std::string::npos ? std::string_view() : std::string_view(line).substr(space + 1);
    if (key == "identity")
      c.identity = value, seen |= 1;
    else if (key == "payload_offset")
      c.payload_offset = RATCHET_TRY(parse_u64(value, key)), seen |= 2;
    else if (key == "image_offset")
      c.image_offset = RATCHET_TRY(parse_u64(value, key)), seen |= 4;
    else if (key == "payload_state")
      c.payload_state = RATCHET_TRY(parse_hex(value)), seen |= 8;
    else if (key == "image_state")
      c.image_state = RATCHET_TRY(parse_hex(value)), seen |= 16;
    else
      return fail(Code::BadConfig, "{}: unknown key '{}'", path.string(), key);
  }
  if (seen != 31) return fail(Code::BadConfig, "{}: incomplete checkpoint", path.string());
  return std::optional<Checkpoint>(std::move(c));
}

}  // namespace ratchet::streaming
