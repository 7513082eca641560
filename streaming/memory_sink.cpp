#include "streaming/memory_sink.hpp"

namespace ratchet::streaming {

Status MemorySink::write(std::span<const std::byte> data) {
  if (finished_) return fail(Code::Internal, "write after finish");
  if (data.size() > max_bytes_ - data_.size())
    return fail(Code::TooLarge, "more than {} bytes", max_bytes_);
  data_.append(reinterpret_cast<const char*>(data.data()), data.size());
  return {};
}

Status MemorySink::finish() {
  finished_ = true;
  return {};
}

}  // namespace ratchet::streaming
