// Stage: the end of the chain, writing the image into a slot (a block device or a regular file).
//
// A half-written slot must never look like a valid filesystem: a fresh install first overwrites
// the head of the slot (where filesystem superblocks live) with zeros, holds the head of the new
// image in memory, writes the body, fsyncs, and writes the head last.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "common/fd.hpp"
#include "streaming/sink.hpp"

namespace ratchet::streaming {

// How the slot is written. Measured here (docs/PERFORMANCE.md): O_DIRECT is 4x faster into a
// block device, the page cache with bounded writeback 1.3x faster into a regular file.
enum class WriteMode : std::uint8_t {
  Auto,      // O_DIRECT for block devices, buffered for regular files
  Buffered,  // the page cache, with bounded writeback
  Direct,    // O_DIRECT through an aligned staging buffer
};

[[nodiscard]] Result<WriteMode> parse_write_mode(std::string_view name);

struct SlotWriterOptions {
  WriteMode mode = WriteMode::Auto;
  // Create a missing target (a new file). Slots are never created: a typo must not become a
  // file that a later run writes and nothing boots.
  bool create = false;
  // Read each block first and skip the write when it already holds the same bytes (flash wear).
  bool skip_identical = false;
  // Bytes at the start of the image held back and written last (covers ext4, btrfs, GPT, FAT).
  // A multiple of 4096.
  std::size_t head_size = 1u << 20;
  // Buffered writes: start writeback every this many bytes and wait for the previous window, so
  // dirty page-cache data stays bounded.
  std::uint64_t writeback_window = 32u << 20;
};

struct SlotWriterStats {
  std::uint64_t written = 0;  // bytes handed to the kernel
  std::uint64_t skipped = 0;  // bytes left alone because the slot already held them
};

class SlotWriter final : public Sink {
 public:
  // A fresh install (start_offset 0) invalidates the slot's head at once. A resumed install
  // continues at `start_offset` (>= head_size) and needs the head it held back before.
  // The target is opened once, without following a symbolic link unless it leads to a block
  // device (/dev/disk/by-partlabel/...), and must be a block device or a regular file.
  [[nodiscard]] static Result<std::unique_ptr<SlotWriter>> open(
      const std::filesystem::path& target, std::uint64_t image_length,
      const SlotWriterOptions& options, std::uint64_t start_offset = 0,
      std::vector<std::byte> saved_head = {});

  [[nodiscard]] Status write(std::span<const std::byte> data) override;
  // Flushes and fsyncs the body, then writes the head and fsyncs again.
  [[nodiscard]] Status finish() override;

  // Makes everything written so far durable (a checkpoint is about to record offset()).
  [[nodiscard]] Status sync();
  [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
  [[nodiscard]] const std::vector<std::byte>& head() const noexcept { return head_; }
  [[nodiscard]] bool head_complete() const noexcept { return offset_ >= head_.size(); }
  [[nodiscard]] const SlotWriterStats& stats() const noexcept { return stats_; }
  [[nodiscard]] bool direct() const noexcept { return direct_; }

  ~SlotWriter() override = default;

 private:
  SlotWriter() = default;
  [[nodiscard]] Status put(std::span<const std::byte> data, std::uint64_t at, int fd);
  [[nodiscard]] Status flush_staging(bool final);
  [[nodiscard]] Status writeback(bool final);

  std::filesystem::path path_;
  SlotWriterOptions options_;
  [[nodiscard]] Status set_direct(bool on);

  UniqueFd fd_;          // the one descriptor: O_DIRECT set only while aligned blocks go out
  bool direct_ = false;  // the mode chosen for this target
  std::uint64_t image_length_ = 0;
  std::uint64_t offset_ = 0;
  std::vector<std::byte> head_;
  // Page-aligned staging buffer for O_DIRECT, released with the matching aligned delete.
  struct AlignedDelete {
    void operator()(std::byte* p) const noexcept { ::operator delete (p, std::align_val_t{4096}); }
  };
  std::unique_ptr<std::byte, AlignedDelete> staging_;
  std::size_t staging_size_ = 0;
  std::size_t staged_ = 0;
  std::uint64_t staged_at_ = 0;
  std::unique_ptr<std::byte, AlignedDelete> compare_;  // skip_identical scratch (aligned)
  std::uint64_t window_start_ = 0;                     // writeback window bookkeeping
  std::uint64_t previous_window_ = 0;
  SlotWriterStats stats_;
};

}  // namespace ratchet::streaming
