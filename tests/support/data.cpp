#include "tests/support/data.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <openssl/sha.h>

namespace ratchet::test {
namespace {

std::uint64_t next(std::uint64_t& s) {  // splitmix64
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Bytes random_bytes(std::size_t n, std::uint64_t seed) {
  Bytes out(n);
  std::uint64_t s = seed;
  for (std::size_t i = 0; i < n; i += 8) {
    const std::uint64_t v = next(s);
    std::memcpy(out.data() + i, &v, std::min<std::size_t>(8, n - i));
  }
  return out;
}

Bytes image_like(std::size_t n, std::uint64_t seed) {
  Bytes out(n);
  std::uint64_t s = seed;
  const Bytes pattern = random_bytes(4096, seed + 1);
  for (std::size_t off = 0; off < n; off += 4096) {
    const std::size_t len = std::min<std::size_t>(4096, n - off);
    switch (next(s) % 4) {
      case 0:
        break;  // zeros
      case 1:
        std::memcpy(out.data() + off, pattern.data(), len);
        break;
      default: {
        const Bytes r = random_bytes(len, next(s));
        std::memcpy(out.data() + off, r.data(), len);
      }
    }
  }
  return out;
}

Bytes edited(const Bytes& base, std::uint64_t seed, std::size_t extra) {
  Bytes out = base;
  std::uint64_t s = seed;
  for (int i = 0; i < 16 && !out.empty(); ++i) {
    const std::size_t at = next(s) % out.size();
    const Bytes r = random_bytes(std::min<std::size_t>(512, out.size() - at), next(s));
    std::memcpy(out.data() + at, r.data(), r.size());
  }
  if (!out.empty()) {
    const std::size_t at = next(s) % out.size();
    const Bytes ins = random_bytes(3000, next(s));
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(at), ins.begin(), ins.end());
  }
  const Bytes tail = random_bytes(extra, next(s));
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

void write_bytes(const std::filesystem::path& path, std::span<const std::byte> data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

Bytes read_bytes(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path.string());
  std::vector<char> v((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  Bytes out(v.size());
  std::memcpy(out.data(), v.data(), v.size());
  return out;
}

std::span<const std::byte> as_bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::vector<std::byte> sha256(std::span<const std::byte> data) {
  std::vector<std::byte> out(32);
  ::SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

}  // namespace ratchet::test
