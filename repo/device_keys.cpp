#include "repo/device_keys.hpp"

#include "agent/tuf/canonical_json.hpp"
#include "common/file.hpp"
#include "common/hex.hpp"
#include "common/log.hpp"

namespace ratchet::repo {
namespace {

constexpr std::uint64_t kMaxEnrollment = 1u << 20;
constexpr std::size_t kMaxManifest = 1u << 20;

}  // namespace

Status enroll_device(const std::filesystem::path& root, const std::filesystem::path& enrollment) {
  const RepoPaths paths{root};
  std::error_code ec;
  if (!std::filesystem::is_directory(paths.image(), ec))
    return fail(Code::NotFound, "{}: not a ratchet-repo repository (no image/)", root.string());
  const std::string what = enrollment.string();
  const auto text = RATCHET_TRY(read_file(enrollment, kMaxEnrollment));
  const auto j = RATCHET_TRY(tuf::parse_json(text, what, kMaxEnrollment));
  if (!j.is_object() || !j.contains("device_id") || !j["device_id"].is_string() ||
      !j.contains("ecu_key") || !j["ecu_key"].is_object())
    return fail(Code::BadMetadata, "{}: not an enrollment (device_id and ecu_key)", what);
  const std::string device = j["device_id"].get<std::string>();
  RATCHET_TRY_CTX(check_device_id(device), what);
  const auto key = RATCHET_TRY(tuf::PublicKey::from_json(j["ecu_key"], what + ": ecu_key"));
  const tuf::Json record = {{"device_id", device}, {"ecu_key", key.to_json()}};
  const auto file = device_key_file(paths, device);
  if (auto known = device_key(paths, device)) {
    if (known->key_id() == key.key_id()) {
      log::notice("device {}: ECU key {} is enrolled already", device, key.key_id());
      return {};
    }
    log::notice("device {}: ECU key {} replaces {}", device, key.key_id(), known->key_id());
  } else if (known.error().code() != Code::NotFound) {
    return fail(std::move(known).error());
  }
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) return fail(Code::Io, "{}: {}", file.parent_path().string(), ec.message());
  RATCHET_TRY(write_file_atomic(file, record.dump(2) + "\n", 0644));
  log::notice("device {}: ECU key {} enrolled", device, key.key_id());
  return {};
}

Result<tuf::PublicKey> device_key(const RepoPaths& paths, std::string_view device) {
  const auto file = device_key_file(paths, device);
  const auto text = RATCHET_TRY(read_file(file, kMaxEnrollment));
  const auto j = RATCHET_TRY(tuf::parse_json(text, file.string(), kMaxEnrollment));
  if (!j.is_object() || j.value("device_id", tuf::Json()) != device || !j.contains("ecu_key"))
    return fail(Code::BadMetadata, "{}: not the ECU key of {}", file.string(), device);
  return tuf::PublicKey::from_json(j["ecu_key"], file.string());
}

Status verify_manifest(const tuf::PublicKey& key, std::string_view device, std::string_view body) {
  const std::string what = fmt::format("manifest of {}", device);
  const auto j = RATCHET_TRY(tuf::parse_json(body, what, kMaxManifest));
  if (!j.is_object() || !j.contains("signed") || !j["signed"].is_object() ||
      !j.contains("signatures") || !j["signatures"].is_array())
    return fail(Code::BadMetadata, "{}: not a signed envelope (signed, signatures)", what);
  const auto& signed_part = j["signed"];
  if (signed_part.value("vin", tuf::Json()) != device)
    return fail(Code::WrongDevice, "{}: signed for vin {}", what,
                signed_part.value("vin", tuf::Json()).dump());
  const std::string canonical = RATCHET_TRY(tuf::canonical_json(signed_part));
  const std::string key_id = key.key_id();
  for (const auto& s : j["signatures"]) {
    if (!s.is_object() || s.value("keyid", tuf::Json()) != key_id || !s.contains("sig") ||
        !s["sig"].is_string())
      continue;
    const auto sig = from_hex(s["sig"].get<std::string>());
    if (sig && key.verify(std::as_bytes(std::span(canonical)), *sig)) return {};
  }
  return fail(Code::BadSignature, "{}: no valid signature by its ECU key {}", what, key_id);
}

}  // namespace ratchet::repo
