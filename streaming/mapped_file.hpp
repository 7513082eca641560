// A read-only memory map of a regular file or block device (the delta reference: the active slot
// is mapped, never read into memory).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

#include "common/result.hpp"

namespace ratchet::streaming {

class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  // Maps the first `length` bytes (all of it when 0). An empty file maps to an empty span.
  [[nodiscard]] static Result<MappedFile> open(const std::filesystem::path& path,
                                               std::uint64_t length = 0);

  [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }

 private:
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

// Size of a regular file or block device.
[[nodiscard]] Result<std::uint64_t> file_or_device_size(int fd, const std::filesystem::path& path);

}  // namespace ratchet::streaming
