// Stage: a thread boundary. write() copies into one of a few preallocated buffers and returns;
// a worker thread feeds the filled buffers to the next stage in order. So decoding (this side)
// and verifying + writing (the worker) run on both cores, with bounded memory and no allocation
// per buffer in the steady state.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "streaming/sink.hpp"

namespace ratchet::streaming {

// A point in the stream where the producer side is consistent: passed, in order, to the worker.
struct StreamMark {
  std::uint64_t payload_offset = 0;
  std::string payload_state;  // saved hashing state of the payload at payload_offset
};

class ThreadedStage final : public Sink {
 public:
  using MarkHandler = std::function<Status(const StreamMark&)>;

  ThreadedStage(Sink& next, std::size_t buffers, std::size_t buffer_size, MarkHandler on_mark);
  ~ThreadedStage() override;

  // Returns the worker's error as soon as it has one, so the producer stops early.
  [[nodiscard]] Status write(std::span<const std::byte> data) override;
  // Hands over the last buffer, waits for the worker to finish the next stage, returns its status.
  [[nodiscard]] Status finish() override;
  // Queues `mark` behind everything written so far.
  [[nodiscard]] Status mark(StreamMark mark);
  // The free part of the buffer being filled: a producer that decodes or reads straight into it
  // saves a copy.
  [[nodiscard]] std::span<std::byte> write_buffer() override;

 private:
  struct Buffer {
    std::vector<std::byte> bytes;
    std::size_t used = 0;
    std::optional<StreamMark> mark;
    bool end = false;
  };
  [[nodiscard]] Status hand_over();
  [[nodiscard]] Status take_free_buffer();
  [[nodiscard]] Status worker_error_locked() const;
  void run() noexcept;

  Sink& next_;
  MarkHandler on_mark_;
  std::vector<Buffer> buffers_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::size_t> free_;
  std::deque<std::size_t> filled_;
  std::optional<std::size_t> current_;
  std::optional<Error> worker_error_;
  bool stop_ = false;
  bool worker_done_ = false;
  std::thread worker_;
};

}  // namespace ratchet::streaming
