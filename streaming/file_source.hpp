// Source: a local file or block device, read sequentially in large pieces.
#pragma once

#include <filesystem>

#include "streaming/source.hpp"

namespace ratchet::streaming {

class FileSource final : public Source {
 public:
  // Reads at most `limit` bytes (a slot holding an image shorter than itself); 0: to the end.
  explicit FileSource(std::filesystem::path path, std::uint64_t limit = 0,
                      std::size_t read_size = 1u << 20)
      : path_(std::move(path)), limit_(limit), read_size_(read_size) {}

  [[nodiscard]] Status read_into(std::uint64_t offset, Sink& sink) override;
  [[nodiscard]] std::string describe() const override { return "file " + path_.string(); }

 private:
  std::filesystem::path path_;
  std::uint64_t limit_;
  std::size_t read_size_;
};

}  // namespace ratchet::streaming
