#include "agent/update/manifest.hpp"

#include <charconv>

#include "agent/store/failed_targets.hpp"
#include "agent/store/installed_images.hpp"
#include "agent/store/time_floor.hpp"
#include "agent/store/trusted_floors.hpp"
#include "agent/tuf/keys.hpp"
#include "agent/tuf/metadata.hpp"
#include "common/hex.hpp"

namespace ratchet::update {
namespace {

constexpr std::string_view kReportCounterKey = "report/counter";
constexpr std::string_view kLastRunKey = "report/last-run";

Result<std::uint64_t> next_report_counter(store::LmdbStore& db) {
  std::uint64_t counter = 0;
  if (auto stored = RATCHET_TRY(db.get(kReportCounterKey))) {
    const auto [p, ec] = std::from_chars(stored->data(), stored->data() + stored->size(), counter);
    if (ec != std::errc() || p != stored->data() + stored->size())
      counter = 0;  // a report counter, not trust: start over rather than stop reporting
  }
  ++counter;
  RATCHET_TRY(db.commit({{std::string(kReportCounterKey), std::to_string(counter)}}));
  return counter;
}

class Signer {
 public:
  static Result<Signer> create(tpm::SigningKey& key) {
    const auto pem = RATCHET_TRY(key.public_key_pem());
    const auto pub = RATCHET_TRY(tuf::PublicKey::from_json(
        {{"keytype", "ecdsa"}, {"scheme", tuf::kEcdsaP256}, {"keyval", {{"public", pem}}}},
        "ECU key"));
    return Signer(key, pub.key_id());
  }
  Result<tuf::Json> envelope(tuf::Json signed_part) {
    const std::string canonical = RATCHET_TRY(tuf::canonical_json(signed_part));
    const auto sig = RATCHET_TRY(key_->sign(
        std::span(reinterpret_cast<const std::uint8_t*>(canonical.data()), canonical.size())));
    return tuf::Json{
        {"signed", std::move(signed_part)},
        {"signatures", tuf::Json::array({{{"keyid", key_id_},
                                          {"method", tuf::kEcdsaP256},
                                          {"sig", to_hex(std::as_bytes(std::span(sig)))}}})}};
  }

 private:
  Signer(tpm::SigningKey& key, std::string key_id) : key_(&key), key_id_(std::move(key_id)) {}
  tpm::SigningKey* key_;
  std::string key_id_;
};

Result<tuf::Json> ecu_report(const store::LmdbStore& db, const std::string& serial,
                             const ManifestInput& in, std::uint64_t counter, tuf::Seconds now) {
  tuf::Json m = {{"ecu_serial", serial},
                 {"attacks_detected", in.attacks_detected},
                 {"report_counter", counter},
                 {"timeserver_time", tuf::format_time(now)}};
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
  // A target that failed on this ECU (its trial, or a refusal of its bytes) and is not retried.
  if (auto failed = RATCHET_TRY(store::failed_target(db, serial)))
    custom["failed"] = failed->to_json();
  const auto result = in.results.find(serial);
  custom["installation"] = result == in.results.end()
                               ? tuf::Json{{"result", "none"}}
                               : tuf::Json{{"result", result->second.empty() ? "ok" : "failed"},
                                           {"error", result->second}};
  m["custom"] = {{"ratchet", custom}};
  return m;
}

}  // namespace

Result<std::string> build_manifest(store::LmdbStore& db, const ManifestInput& in,
                                   tpm::SigningKey& key) {
  const std::uint64_t counter = RATCHET_TRY(next_report_counter(db));
  // The latest time this device has verified: max(clock, the trusted time floor).
  const tuf::Seconds now = RATCHET_TRY(store::verifier_now(db));
  auto signer = RATCHET_TRY(Signer::create(key));
  tuf::Json ecus = tuf::Json::object();
  for (const auto& serial : in.ecu_serials)
    ecus[serial] =
        RATCHET_TRY(signer.envelope(RATCHET_TRY(ecu_report(db, serial, in, counter, now))));
  tuf::Json signed_part = {
      {"vin", in.device_id},
      {"primary_ecu_serial", in.primary_serial},
      {"ecu_version_manifests", ecus},
      {"report_counter", counter},
      {"provisioning_generation", in.provisioning_generation},
      {"security_version_floor", RATCHET_TRY(store::security_version_floor(db))},
      {"floors", RATCHET_TRY(store::trusted_floors(db))},
      {"generated", tuf::format_time(now)}};
  return RATCHET_TRY(signer.envelope(std::move(signed_part))).dump();
}

Status save_run_report(store::LmdbStore& db, const ManifestInput& input) {
  const tuf::Json j = {{"results", input.results}, {"attacks_detected", input.attacks_detected}};
  return db.commit({{std::string(kLastRunKey), j.dump()}});
}

Status load_run_report(const store::LmdbStore& db, ManifestInput& input) {
  const auto stored = RATCHET_TRY(db.get(kLastRunKey));
  if (!stored) return {};
  const auto j = tuf::Json::parse(*stored, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("results") || !j["results"].is_object() ||
      !j.value("attacks_detected", tuf::Json()).is_string())
    return fail(Code::StateForged, "store: {} is not a run report", kLastRunKey);
  input.results.clear();
  for (const auto& [serial, result] : j["results"].items()) {
    if (!result.is_string())
      return fail(Code::StateForged, "store: {} is not a run report", kLastRunKey);
    input.results[serial] = result.get<std::string>();
  }
  input.attacks_detected = j["attacks_detected"].get<std::string>();
  return {};
}

}  // namespace ratchet::update
