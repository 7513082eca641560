// A sink that collects the stream in memory, up to a bound (small targets, metadata, tests).
#pragma once

#include <cstdint>
#include <string>

#include "streaming/sink.hpp"

namespace ratchet::streaming {

class MemorySink final : public Sink {
 public:
  explicit MemorySink(std::uint64_t max_bytes) : max_bytes_(max_bytes) {}

  [[nodiscard]] Status write(std::span<const std::byte> data) override;
  [[nodiscard]] Status finish() override;

  [[nodiscard]] const std::string& data() const noexcept { return data_; }
  [[nodiscard]] bool finished() const noexcept { return finished_; }

 private:
  std::uint64_t max_bytes_;
  std::string data_;
  bool finished_ = false;
};

}  // namespace ratchet::streaming
