#include "tpm/file_state_key.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/file.hpp"

namespace ratchet::tpm {
namespace {

constexpr std::size_t kKeySize = 32;

}  // namespace

Result<bool> FileStateKey::create() {
  if (auto existing = read_file(path_, kKeySize + 1)) {
    if (existing->size() != kKeySize)
      return fail(Code::StateForged, "state key {} is {} bytes, not {}", path_.string(),
                  existing->size(), kKeySize);
    return false;
  } else if (existing.error().code() != Code::NotFound) {
    return fail(std::move(existing).error());
  }
  std::array<std::byte, kKeySize> key{};
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), kKeySize) != 1)
    return fail(Code::Internal, "RAND_bytes failed for the state key");
  std::error_code ec;
  std::filesystem::create_directories(path_.parent_path(), ec);
  if (ec) return fail(Code::Io, "{}: {}", path_.parent_path().string(), ec.message());
  RATCHET_TRY(write_file_atomic(path_, key, 0600));
  return true;
}

Result<Mac> FileStateKey::mac(const Digest& digest) {
  auto key = read_file(path_, kKeySize + 1);
  if (!key) {
    if (key.error().code() == Code::NotFound)
      return fail(Code::NotProvisioned, "state key {} does not exist", path_.string());
    return fail(std::move(key).error());
  }
  if (key->size() != kKeySize)
    return fail(Code::StateForged, "state key {} is {} bytes, not {}", path_.string(), key->size(),
                kKeySize);
  Mac out{};
  std::size_t out_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key->data(), key->size(),
                digest.data(), digest.size(), out.data(), out.size(), &out_len) == nullptr ||
      out_len != out.size())
    return fail(Code::Internal, "HMAC-SHA256 with {} failed", path_.string());
  return out;
}

}  // namespace ratchet::tpm
