#include "agent/update/manifest.hpp"

#include "agent/store/installed_images.hpp"
#include "agent/store/trusted_floors.hpp"
#include "agent/tuf/keys.hpp"
#include "agent/tuf/metadata.hpp"
#include "common/hex.hpp"

namespace ratchet::update {
namespace {

Result<tuf::Json> ecu_manifest(const store::LmdbStore& db, const std::string& serial,
                               const ManifestInput& in) {
  tuf::Json m = {{"ecu_serial", serial}, {"attacks_detected", in.attacks_detected}};
  tuf::Json custom = tuf::Json::object();
  if (auto installed = RATCHET_TRY(store::installed_image(db, serial))) {
    m["installed_image"] = {
        {"filepath", installed->name},
        {"fileinfo", {{"length", installed->length}, {"hashes", {{"sha256", installed->sha256}}}}}};
    custom["release_counter"] = installed->release_counter;
    custom["security_version"] = installed->security_version;
  } else {
    m["installed_image"] = nullptr;
  }
  if (auto trial = RATCHET_TRY(db.get(store::trial_key(serial))))
    custom["trial"] = RATCHET_TRY(store::InstalledImage::from_json(*trial, "trial")).to_json();
  const auto result = in.results.find(serial);
  custom["installation"] = result == in.results.end()
                               ? tuf::Json{{"result", "none"}}
                               : tuf::Json{{"result", result->second.empty() ? "ok" : "failed"},
                                           {"error", result->second}};
  m["custom"] = {{"ratchet", custom}};
  return m;
}

}  // namespace

Result<std::string> build_manifest(const store::LmdbStore& db, const ManifestInput& in,
                                   tpm::SigningKey& key) {
  tuf::Json ecus = tuf::Json::object();
  for (const auto& serial : in.ecu_serials)
    ecus[serial] = RATCHET_TRY(ecu_manifest(db, serial, in));
  tuf::Json signed_part = {
      {"device_id", in.device_id},
      {"primary_ecu_serial", in.primary_serial},
      {"ecu_version_manifests", ecus},
      {"provisioning_generation", in.provisioning_generation},
      {"security_version_floor", RATCHET_TRY(store::security_version_floor(db))},
      // The metadata floors, so a backend continues numbering above them (seed 000).
      {"floors", RATCHET_TRY(store::trusted_floors(db))},
      {"generated", tuf::format_time(static_cast<tuf::Seconds>(::time(nullptr)))}};
  const std::string canonical = RATCHET_TRY(tuf::canonical_json(signed_part));
  const auto sig = RATCHET_TRY(key.sign(
      std::span(reinterpret_cast<const std::uint8_t*>(canonical.data()), canonical.size())));
  const auto pem = RATCHET_TRY(key.public_key_pem());
  const auto pub = RATCHET_TRY(tuf::PublicKey::from_json(
      {{"keytype", "ecdsa"}, {"scheme", tuf::kEcdsaP256}, {"keyval", {{"public", pem}}}},
      "ECU key"));
  tuf::Json envelope = {
      {"signed", signed_part},
      {"signatures", tuf::Json::array({{{"keyid", pub.key_id()},
                                        {"sig", to_hex(std::as_bytes(std::span(sig)))}}})}};
  return envelope.dump();
}

}  // namespace ratchet::update
