#include "streaming/chunk_list.hpp"

#include <bit>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include "common/file.hpp"
#include "streaming/hasher.hpp"

namespace ratchet::streaming {
namespace {

constexpr std::string_view kMagic = "RCHUNKS1";

template <class T>
T load_le(const std::byte* p) {
  T v{};
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = std::byteswap(v);
  return v;
}

template <class T>
void store_le(std::string& out, T v) {
  if constexpr (std::endian::native == std::endian::big) v = std::byteswap(v);
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

Sha256Digest sha256_of(std::span<const std::byte> data) {
  const auto d = digest_of(HashAlgorithm::Sha256, data);
  Sha256Digest out{};
  std::memcpy(out.data(), d.data(), out.size());
  return out;
}

}  // namespace

Status ChunkList::check_chunk_size(std::uint32_t chunk_size) {
  if (chunk_size < kMinChunkSize || chunk_size > kMaxChunkSize || !std::has_single_bit(chunk_size))
    return fail(Code::BadMetadata, "chunk list: chunk size {} is not a power of two in [{}, {}]",
                chunk_size, kMinChunkSize, kMaxChunkSize);
  return {};
}

std::uint64_t ChunkList::chunk_length(std::size_t i) const noexcept {
  const std::uint64_t start = static_cast<std::uint64_t>(i) * chunk_size_;
  if (start >= image_length_) return 0;
  return std::min<std::uint64_t>(chunk_size_, image_length_ - start);
}

Result<ChunkList> ChunkList::parse(std::span<const std::byte> bytes, std::size_t max_bytes) {
  if (bytes.size() > max_bytes)
    return fail(Code::TooLarge, "chunk list: {} bytes, more than the limit of {}", bytes.size(),
                max_bytes);
  if (bytes.size() < kHeaderSize || std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0)
    return fail(Code::BadMetadata, "chunk list: missing RCHUNKS1 header");
  ChunkList list;
  list.chunk_size_ = load_le<std::uint32_t>(bytes.data() + 8);
  const auto reserved = load_le<std::uint32_t>(bytes.data() + 12);
  list.image_length_ = load_le<std::uint64_t>(bytes.data() + 16);
  RATCHET_TRY(check_chunk_size(list.chunk_size_));
  if (reserved != 0) return fail(Code::BadMetadata, "chunk list: reserved field is {}", reserved);
  const std::uint64_t count = (list.image_length_ + list.chunk_size_ - 1) / list.chunk_size_;
  const std::uint64_t body = bytes.size() - kHeaderSize;
  if (body % 32 != 0 || body / 32 != count)
    return fail(Code::BadMetadata,
                "chunk list: {} digest bytes for an image of {} bytes in chunks of {} (need {})",
                body, list.image_length_, list.chunk_size_, count * 32);
  list.digests_.resize(count);
  std::memcpy(list.digests_.data(), bytes.data() + kHeaderSize, body);
  return list;
}

std::string ChunkList::serialize() const {
  std::string out(kMagic);
  store_le(out, chunk_size_);
  store_le(out, std::uint32_t{0});
  store_le(out, image_length_);
  for (const auto& d : digests_)
    out.append(reinterpret_cast<const char*>(d.data()), d.size());
  return out;
}

Result<ChunkList> ChunkList::of_bytes(std::span<const std::byte> image, std::uint32_t chunk_size) {
  RATCHET_TRY(check_chunk_size(chunk_size));
  ChunkList list;
  list.chunk_size_ = chunk_size;
  list.image_length_ = image.size();
  for (std::size_t off = 0; off < image.size(); off += chunk_size)
    list.digests_.push_back(
        sha256_of(image.subspan(off, std::min<std::size_t>(chunk_size, image.size() - off))));
  return list;
}

Result<ChunkList> ChunkList::of_file(const std::filesystem::path& image, std::uint32_t chunk_size) {
  RATCHET_TRY(check_chunk_size(chunk_size));
  auto fd = RATCHET_TRY(open_file(image, O_RDONLY));
  ChunkList list;
  list.chunk_size_ = chunk_size;
  std::vector<std::byte> buf(chunk_size);
  while (true) {
    std::size_t got = 0;
    while (got < buf.size()) {
      const ssize_t n = ::read(fd.get(), buf.data() + got, buf.size() - got);
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail(errno_error(errno, image.string()));
      }
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got == 0) break;
    list.digests_.push_back(sha256_of(std::span(buf).first(got)));
    list.image_length_ += got;
    if (got < buf.size()) break;
  }
  return list;
}

}  // namespace ratchet::streaming
