// Source: a local file, or (a slot read back) a block device, read sequentially in large pieces.
#pragma once

#include <cstdint>
#include <filesystem>

#include "streaming/source.hpp"

namespace ratchet::streaming {

class FileSource final : public Source {
 public:
  // Input: an input file, opened with open_regular_file (a FIFO, device node or symlink is
  // refused, never waited on). Slot: a slot the agent wrote (a block device, or a symlink to one
  // such as /dev/disk/by-partlabel/...).
  enum class Kind : std::uint8_t { Input, Slot };

  // Reads at most `limit` bytes (a slot holding an image shorter than itself); 0: to the end.
  // The payload starts `base` bytes into the file (an entry inside an uncompressed archive).
  explicit FileSource(std::filesystem::path path, std::uint64_t limit = 0,
                      std::size_t read_size = 1u << 20, Kind kind = Kind::Input,
                      std::uint64_t base = 0)
      : path_(std::move(path)), limit_(limit), read_size_(read_size), kind_(kind), base_(base) {}

  [[nodiscard]] Status read_into(std::uint64_t offset, Sink& sink) override;
  [[nodiscard]] std::string describe() const override { return "file " + path_.string(); }

 private:
  std::filesystem::path path_;
  std::uint64_t limit_;
  std::size_t read_size_;
  Kind kind_;
  std::uint64_t base_;
};

}  // namespace ratchet::streaming
