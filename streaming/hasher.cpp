// The low-level SHA*_CTX API is deprecated in OpenSSL 3 but is the only one whose state is plain
// data we can checkpoint; EVP_MD_CTX offers no export. It runs the same SHA-NI code as EVP.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "streaming/hasher.hpp"

#include <cstring>

#include <openssl/sha.h>

namespace ratchet::streaming {

struct Hasher::State {
  SHA256_CTX sha256;
  SHA512_CTX sha512;
};

std::string_view hash_name(HashAlgorithm a) noexcept {
  return a == HashAlgorithm::Sha256 ? "sha256" : "sha512";
}

std::size_t digest_size(HashAlgorithm a) noexcept {
  return a == HashAlgorithm::Sha256 ? SHA256_DIGEST_LENGTH : SHA512_DIGEST_LENGTH;
}

Hasher::Hasher(HashAlgorithm algorithm) : algorithm_(algorithm), state_(std::make_unique<State>()) {
  reset();
}

void Hasher::reset() noexcept {
  // Init cannot fail for these in-memory contexts; the return value is 1 by construction.
  if (algorithm_ == HashAlgorithm::Sha256) {
    (void)SHA256_Init(&state_->sha256);
  } else {
    (void)SHA512_Init(&state_->sha512);
  }
}

Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;
Hasher::~Hasher() = default;

void Hasher::update(std::span<const std::byte> data) noexcept {
  if (data.empty()) return;
  if (algorithm_ == HashAlgorithm::Sha256) {
    (void)SHA256_Update(&state_->sha256, data.data(), data.size());
  } else {
    (void)SHA512_Update(&state_->sha512, data.data(), data.size());
  }
}

std::vector<std::byte> Hasher::finish() noexcept {
  std::vector<std::byte> out(digest_size(algorithm_));
  finish_into(out);
  return out;
}

void Hasher::finish_into(std::span<std::byte> out) noexcept {
  if (out.size() < digest_size(algorithm_)) return;
  auto* md = reinterpret_cast<unsigned char*>(out.data());
  if (algorithm_ == HashAlgorithm::Sha256) {
    (void)SHA256_Final(md, &state_->sha256);
  } else {
    (void)SHA512_Final(md, &state_->sha512);
  }
}

std::string Hasher::save() const {
  if (algorithm_ == HashAlgorithm::Sha256)
    return {reinterpret_cast<const char*>(&state_->sha256), sizeof(SHA256_CTX)};
  return {reinterpret_cast<const char*>(&state_->sha512), sizeof(SHA512_CTX)};
}

Result<Hasher> Hasher::restore(HashAlgorithm algorithm, std::string_view saved) {
  Hasher h(algorithm);
  const std::size_t want =
      algorithm == HashAlgorithm::Sha256 ? sizeof(SHA256_CTX) : sizeof(SHA512_CTX);
  if (saved.size() != want)
    return fail(Code::BadConfig, "saved {} state has {} bytes, expected {}", hash_name(algorithm),
                saved.size(), want);
  if (algorithm == HashAlgorithm::Sha256) {
    std::memcpy(&h.state_->sha256, saved.data(), want);
    if (h.state_->sha256.num >= SHA256_CBLOCK || h.state_->sha256.md_len != SHA256_DIGEST_LENGTH)
      return fail(Code::BadConfig, "saved sha256 state is inconsistent");
  } else {
    std::memcpy(&h.state_->sha512, saved.data(), want);
    if (h.state_->sha512.num >= SHA512_CBLOCK || h.state_->sha512.md_len != SHA512_DIGEST_LENGTH)
      return fail(Code::BadConfig, "saved sha512 state is inconsistent");
  }
  return h;
}

std::vector<std::byte> digest_of(HashAlgorithm algorithm, std::span<const std::byte> data) {
  Hasher h(algorithm);
  h.update(data);
  return h.finish();
}

}  // namespace ratchet::streaming
