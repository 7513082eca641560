// Where a payload comes from: a local file (USB stick, bundle) or HTTP(S).
#pragma once

#include <cstdint>
#include <string>

#include "streaming/sink.hpp"

namespace ratchet::streaming {

class Source {
 public:
  Source() = default;
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;
  virtual ~Source() = default;

  // Writes the payload from byte `offset` to its end into `sink` (without finishing it). A
  // source retries transient trouble itself; an error it returns is final.
  [[nodiscard]] virtual Status read_into(std::uint64_t offset, Sink& sink) = 0;

  // "file /media/usb/rootfs.zst", "https://host/targets/rootfs.zst": for logs and errors.
  [[nodiscard]] virtual std::string describe() const = 0;
};

}  // namespace ratchet::streaming
