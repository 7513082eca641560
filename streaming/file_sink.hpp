// Stage: the stream into a regular file, appearing under its name only once finished (written
// to "<name>.part", fsynced, renamed): a failed download leaves nothing that looks complete.
#pragma once

#include <filesystem>

#include "common/fd.hpp"
#include "streaming/sink.hpp"

namespace ratchet::streaming {

class FileSink final : public Sink {
 public:
  [[nodiscard]] static Result<std::unique_ptr<FileSink>> create(const std::filesystem::path& path);
  ~FileSink() override;

  [[nodiscard]] Status write(std::span<const std::byte> data) override;
  [[nodiscard]] Status finish() override;

 private:
  FileSink() = default;
  std::filesystem::path path_;
  std::filesystem::path part_;
  UniqueFd fd_;
  bool done_ = false;
};

}  // namespace ratchet::streaming
