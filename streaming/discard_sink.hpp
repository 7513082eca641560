// A sink that drops what it is given: the end of a chain whose stages only check (read-back
// verification, a digest check of the reference, benchmarks of a stage alone).
#pragma once

#include "streaming/sink.hpp"

namespace ratchet::streaming {

class DiscardSink final : public Sink {
 public:
  [[nodiscard]] Status write(std::span<const std::byte>) override { return {}; }
  [[nodiscard]] Status finish() override { return {}; }
};

}  // namespace ratchet::streaming
