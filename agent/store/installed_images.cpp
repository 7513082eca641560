#include "agent/store/installed_images.hpp"

#include <algorithm>
#include <charconv>

#include "agent/store/failed_targets.hpp"
#include "common/log.hpp"

namespace ratchet::store {

tuf::Json InstalledImage::to_json() const {
  return tuf::Json{{"name", name},
                   {"sha256", sha256},
                   {"length", length},
                   {"release_counter", release_counter},
                   {"security_version", security_version},
                   {"slot", slot}};
}

Result<InstalledImage> InstalledImage::from_json(std::string_view text, std::string_view what) {
  const auto j = RATCHET_TRY(tuf::parse_json(text, what, std::size_t{64} * 1024));
  InstalledImage i;
  try {
    i.name = j.at("name").get<std::string>();
    i.sha256 = j.at("sha256").get<std::string>();
    i.length = j.at("length").get<std::uint64_t>();
    i.release_counter = j.at("release_counter").get<std::uint64_t>();
    i.security_version = j.at("security_version").get<std::uint64_t>();
    i.slot = j.value("slot", std::string());
  } catch (const tuf::Json::exception& e) {
    return fail(Code::StateForged, "{}: {}", what, e.what());
  }
  return i;
}

std::string trial_key(std::string_view ecu_serial) {
  return fmt::format("ecu/{}/trial", ecu_serial);
}

std::string installed_key(std::string_view ecu_serial) {
  return fmt::format("ecu/{}/installed", ecu_serial);
}

Result<std::optional<InstalledImage>> installed_image(const LmdbStore& db,
                                                      std::string_view ecu_serial) {
  const auto key = installed_key(ecu_serial);
  const auto text = RATCHET_TRY(db.get(key));
  if (!text) return std::optional<InstalledImage>();
  return std::optional<InstalledImage>(RATCHET_TRY(InstalledImage::from_json(*text, key)));
}

Result<std::uint64_t> security_version_floor(const LmdbStore& db) {
  const auto text = RATCHET_TRY(db.get(kSecurityVersionKey));
  if (!text) return std::uint64_t{0};
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || ptr != text->data() + text->size())
    return fail(Code::StateForged, "{} is not a number", kSecurityVersionKey);
  return v;
}

Status record_installed(AnchoredStore& store, std::string_view ecu_serial,
                        const InstalledImage& image) {
  const std::uint64_t svn = RATCHET_TRY(security_version_floor(store.db()));
  AnchoredStore::Change change;
  change.puts[installed_key(ecu_serial)] = image.to_json().dump();
  if (image.security_version > svn)
    change.puts[std::string(kSecurityVersionKey)] = std::to_string(image.security_version);
  change.erases.push_back(trial_key(ecu_serial));
  change.erases.push_back(failed_key(ecu_serial));  // another target was installed
  return store.commit(change);
}

Status settle_trials(AnchoredStore& store, const TrialVerdict& verdict) {
  const auto& db = store.db();
  AnchoredStore::Change change;
  std::uint64_t svn = RATCHET_TRY(security_version_floor(db));
  const std::uint64_t svn_before = svn;
  for (const auto& [key, text] : RATCHET_TRY(db.scan("ecu/"))) {
    if (!key.ends_with("/trial")) continue;
    const std::string serial = key.substr(4, key.size() - 4 - 6);
    const auto trial = RATCHET_TRY(InstalledImage::from_json(text, key));
    if (verdict.bad && !trial.slot.empty() && trial.slot == *verdict.bad) {
      const FailedTarget failed{trial.name, trial.sha256, trial.length, verdict.why, verdict.when};
      change.puts[failed_key(serial)] = failed.to_json().dump();
      change.erases.push_back(key);
      log::warning("ECU {}: trial image {} in slot {} failed ({}); dropped and recorded as failed",
                   serial, trial.name, trial.slot, verdict.why);
      continue;
    }
    if (!verdict.good) continue;
    change.erases.push_back(key);
    if (!trial.slot.empty() && trial.slot != *verdict.good) {
      log::warning("ECU {}: trial image {} in slot {} was never armed; dropped", serial, trial.name,
                   trial.slot);
      continue;
    }
    // The install checked the release counter against the installed image's; a trial below it
    // was not made by ratchet.
    if (auto current = RATCHET_TRY(installed_image(db, serial));
        current && trial.release_counter < current->release_counter)
      return fail(Code::ReleaseCounterRollback,
                  "ECU {}: trial image {} has release counter {}, below the installed {}", serial,
                  trial.name, trial.release_counter, current->release_counter);
    svn = std::max(svn, trial.security_version);
    change.puts[installed_key(serial)] = trial.to_json().dump();
    log::notice("ECU {}: {} is now the installed image (release counter {})", serial, trial.name,
                trial.release_counter);
  }
  if (change.erases.empty()) return {};
  if (svn != svn_before) change.puts[std::string(kSecurityVersionKey)] = std::to_string(svn);
  return store.commit(change);
}

}  // namespace ratchet::store
