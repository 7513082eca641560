#include "tpm/file_signing_key.hpp"

#include <openssl/pem.h>

#include "common/file.hpp"
#include "common/handles/openssl.hpp"
#include "common/log.hpp"

namespace ratchet::tpm {
namespace {

constexpr std::uint64_t kMaxPem = 16384;

Result<std::string> bio_text(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return fail(Code::Internal, "empty PEM output");
  return std::string(data, static_cast<std::size_t>(len));
}

Result<ossl::PKey> load(const std::filesystem::path& path) {
  auto pem = read_file(path, kMaxPem);
  if (!pem) {
    if (pem.error().code() == Code::NotFound)
      return fail(Code::NotProvisioned, "ECU key {} does not exist", path.string());
    return fail(std::move(pem).error());
  }
  ossl::Bio bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  if (!bio) return fail(Code::Internal, "BIO_new_mem_buf failed");
  ossl::PKey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return fail(Code::BadKey, "ECU key {} is not a PEM private key", path.string());
  if (EVP_PKEY_is_a(key.get(), "EC") != 1 || EVP_PKEY_get_bits(key.get()) != 256)
    return fail(Code::BadKey, "ECU key {} is not an ECDSA P-256 key", path.string());
  return key;
}

}  // namespace

Result<bool> FileSigningKey::create() {
  if (auto existing = load(path_))
    return false;
  else if (existing.error().code() != Code::NotProvisioned)
    return fail(std::move(existing).error());
  ossl::PKey key(EVP_EC_gen("P-256"));
  if (!key) return fail(Code::Internal, "generating a P-256 key failed");
  ossl::Bio bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return fail(Code::Internal, "encoding the ECU key failed");
  const std::string pem = RATCHET_TRY(bio_text(bio.get()));
  std::error_code ec;
  std::filesystem::create_directories(path_.parent_path(), ec);
  if (ec) return fail(Code::Io, "{}: {}", path_.parent_path().string(), ec.message());
  RATCHET_TRY(write_file_atomic(path_, pem, 0600));
  log::warning("ECU signing key {} is a file, not a TPM key: whoever reads it can sign as this ECU",
               path_.string());
  return true;
}

Result<std::string> FileSigningKey::public_key_pem() {
  const auto key = RATCHET_TRY(load(path_));
  ossl::Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1)
    return fail(Code::Internal, "encoding the ECU public key failed");
  return bio_text(bio.get());
}

Result<std::vector<std::uint8_t>> FileSigningKey::sign(std::span<const std::uint8_t> message) {
  const auto key = RATCHET_TRY(load(path_));
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1)
    return fail(Code::Internal, "ECDSA signing with {} failed", path_.string());
  std::vector<std::uint8_t> sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1)
    return fail(Code::Internal, "ECDSA signing with {} failed", path_.string());
  sig.resize(len);
  return sig;
}

}  // namespace ratchet::tpm
