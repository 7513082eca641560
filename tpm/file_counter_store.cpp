#include "tpm/file_counter_store.hpp"

#include <charconv>

#include "common/file.hpp"

namespace ratchet::tpm {

std::string_view counter_name(Counter c) noexcept {
  switch (c) {
    case Counter::Epoch:
      return "epoch";
    case Counter::ProvisioningGeneration:
      return "provisioning-generation";
    case Counter::SecurityVersion:
      return "security-version";
  }
  return "unknown";
}

std::filesystem::path FileCounterStore::path_of(Counter c) const {
  return dir_ / counter_name(c);
}

Result<std::uint64_t> FileCounterStore::read(Counter c) {
  const auto path = path_of(c);
  auto text = read_file(path, 32);
  if (!text) {
    if (text.error().code() == Code::NotFound)
      return fail(Code::NotProvisioned, "counter {}: {} does not exist", counter_name(c),
                  path.string());
    return fail(std::move(text).error());
  }
  std::uint64_t value = 0;
  const char* end = text->data() + text->size();
  if (!text->empty() && text->back() == '\n') --end;
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc() || ptr != end || text->empty())
    return fail(Code::StateForged, "counter {}: {} is not a number", counter_name(c),
                path.string());
  return value;
}

Result<bool> FileCounterStore::define(Counter c) {
  auto current = read(c);
  if (current) return false;
  if (current.error().code() != Code::NotProvisioned) return fail(std::move(current).error());
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return fail(Code::Io, "{}: {}", dir_.string(), ec.message());
  RATCHET_TRY(write_file_atomic(path_of(c), "1\n", 0600));
  return true;
}

Result<std::uint64_t> FileCounterStore::increment(Counter c) {
  const std::uint64_t value = RATCHET_TRY(read(c));
  if (value == UINT64_MAX) return fail(Code::Internal, "counter {} is exhausted", counter_name(c));
  RATCHET_TRY(write_file_atomic(path_of(c), fmt::format("{}\n", value + 1), 0600));
  return value + 1;
}

std::string FileCounterStore::describe() const {
  return "file " + dir_.string();
}

}  // namespace ratchet::tpm
