#include "streaming/threaded_stage.hpp"

#include <cstring>

namespace ratchet::streaming {

ThreadedStage::ThreadedStage(Sink& next, std::size_t buffers, std::size_t buffer_size,
                             MarkHandler on_mark)
    : next_(next), on_mark_(std::move(on_mark)), buffers_(std::max<std::size_t>(buffers, 2)) {
  for (std::size_t i = 0; i < buffers_.size(); ++i) {
    buffers_[i].bytes.resize(buffer_size);
    free_.push_back(i);
  }
  worker_ = std::thread([this] { run(); });
}

ThreadedStage::~ThreadedStage() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

Status ThreadedStage::worker_error_locked() const {
  if (worker_error_) return fail(*worker_error_);
  if (worker_done_) return fail(Code::Internal, "stream written to after it ended");
  return {};
}

Status ThreadedStage::hand_over() {
  std::unique_lock lock(mutex_);
  filled_.push_back(*current_);
  current_.reset();
  cv_.notify_all();
  return worker_error_locked();
}

Status ThreadedStage::take_free_buffer() {
  if (current_) return {};
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return !free_.empty() || worker_error_ || worker_done_; });
  RATCHET_TRY(worker_error_locked());
  current_ = free_.front();
  free_.pop_front();
  return {};
}

std::span<std::byte> ThreadedStage::write_buffer() {
  if (!take_free_buffer()) return {};  // the error comes back from the next write()
  Buffer& b = buffers_[*current_];
  return std::span(b.bytes).subspan(b.used);
}

Status ThreadedStage::write(std::span<const std::byte> data) {
  while (!data.empty()) {
    RATCHET_TRY(take_free_buffer());
    Buffer& b = buffers_[*current_];
    const std::size_t n = std::min(data.size(), b.bytes.size() - b.used);
    std::byte* dst = b.bytes.data() + b.used;
    if (data.data() != dst) std::memmove(dst, data.data(), n);  // else: filled in place
    b.used += n;
    data = data.subspan(n);
    if (b.used == b.bytes.size()) RATCHET_TRY(hand_over());
  }
  return {};
}

Status ThreadedStage::mark(StreamMark mark) {
  RATCHET_TRY(take_free_buffer());
  buffers_[*current_].mark = std::move(mark);
  return hand_over();
}

Status ThreadedStage::finish() {
  RATCHET_TRY(take_free_buffer());
  buffers_[*current_].end = true;
  {
    std::unique_lock lock(mutex_);
    filled_.push_back(*current_);
    current_.reset();
    cv_.notify_all();
    cv_.wait(lock, [&] { return worker_done_; });
    if (worker_error_) return fail(*worker_error_);
  }
  return {};
}

void ThreadedStage::run() noexcept {
  while (true) {
    std::size_t index = 0;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return !filled_.empty() || stop_; });
      if (filled_.empty()) return;  // stopped without finish(): the producer gave up
      index = filled_.front();
      filled_.pop_front();
    }
    Buffer& b = buffers_[index];
    Status status;
    try {
      if (b.used > 0) status = next_.write(std::span(b.bytes).first(b.used));
      if (status && b.mark && on_mark_) status = on_mark_(*b.mark);
      if (status && b.end) status = next_.finish();
    } catch (const std::exception& e) {
      status = fail(Code::Internal, "stream worker: {}", e.what());
    } catch (...) {
      status = fail(Code::Internal, "stream worker: unknown exception");
    }
    const bool end = b.end;
    b.used = 0;
    b.mark.reset();
    b.end = false;
    {
      const std::lock_guard lock(mutex_);
      free_.push_back(index);
      if (!status) worker_error_ = status.error();
      if (!status || end) worker_done_ = true;
    }
    cv_.notify_all();
    if (!status || end) return;
  }
}

}  // namespace ratchet::streaming
