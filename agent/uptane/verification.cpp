#include "agent/uptane/verification.hpp"

#include <set>

#include "common/constant_time.hpp"

namespace ratchet::uptane {
namespace {

// Length and every hash algorithm both sides list must agree, and they must share one.
Status same_image(const tuf::TargetFile& d, const tuf::TargetFile& i, std::string_view name) {
  if (d.length != i.length)
    return fail(Code::DirectorImageMismatch,
                "target {}: the Director lists {} bytes, the Image repository {}", name, d.length,
                i.length);
  int compared = 0;
  const auto cmp = [&](const auto& a, const auto& b, std::string_view alg) -> Status {
    if (!a || !b) return {};
    ++compared;
    if (!constant_time_equal(*a, *b))
      return fail(Code::DirectorImageMismatch,
                  "target {}: the Director's {} differs from the Image repository's", name, alg);
    return {};
  };
  RATCHET_TRY(cmp(d.hashes.sha256, i.hashes.sha256, "sha256"));
  RATCHET_TRY(cmp(d.hashes.sha512, i.hashes.sha512, "sha512"));
  if (compared == 0)
    return fail(Code::DirectorImageMismatch, "target {}: no hash algorithm in common", name);
  return {};
}

std::string ecu_list(const std::vector<Ecu>& ecus) {
  std::string out;
  for (const auto& e : ecus)
    out += (out.empty() ? "" : ", ") + e.serial;
  return out;
}

}  // namespace

Result<std::optional<std::uint64_t>> release_counter_of(const tuf::TargetFile& file,
                                                        std::string_view what) {
  if (!file.custom.is_object()) return std::optional<std::uint64_t>();
  std::optional<std::uint64_t> counter;
  const char* spelled = nullptr;
  for (const char* key : {"releaseCounter", "release_counter"}) {
    const auto it = file.custom.find(key);
    if (it == file.custom.end()) continue;
    if (!it->is_number_unsigned())
      return fail(Code::BadMetadata, "{}: custom.{} is not a non-negative integer", what, key);
    const auto value = it->get<std::uint64_t>();
    // Two spellings that disagree: which one a reader takes would decide the rollback floor.
    if (counter && *counter != value)
      return fail(Code::BadMetadata, "{}: custom.{} is {} but custom.{} is {}", what, spelled,
                  *counter, key, value);
    counter = value;
    spelled = key;
  }
  return counter;
}

Result<VerifiedTargets> verify_director_targets(
    const tuf::Targets& director, tuf::Updater& image, const std::vector<Ecu>& ecus,
    const std::map<std::string, std::uint64_t>& installed_release_counters) {
  if (director.delegations)
    return fail(Code::BadMetadata, "director targets v{}: the Director may not delegate",
                director.version);
  VerifiedTargets out;
  out.director_targets_version = director.version;
  std::set<std::string> assigned;
  for (const auto& [name, file] : director.targets) {
    const std::string where = fmt::format("director targets v{} target {}", director.version, name);
    const auto ids =
        file.custom.is_object() ? file.custom.find("ecuIdentifiers") : file.custom.end();
    if (!file.custom.is_object() || ids == file.custom.end() || !ids->is_object() || ids->empty())
      return fail(Code::BadMetadata, "{}: custom.ecuIdentifiers is missing", where);
    for (auto it = ids->begin(); it != ids->end(); ++it) {
      const std::string& serial = it.key();
      if (serial.empty()) return fail(Code::BadEcuSerial, "{}: an empty ECU serial", where);
      if (!assigned.insert(serial).second)
        return fail(Code::DuplicateEcu, "{}: ECU {} is assigned more than one image", where,
                    serial);
      const auto ecu =
          std::find_if(ecus.begin(), ecus.end(), [&](const Ecu& e) { return e.serial == serial; });
      // Uptane 2.0 5.4.4.6 step 8: every ECU the Director names is one of this vehicle's.
      if (ecu == ecus.end())
        return fail(Code::BadEcuSerial, "{}: ECU {} is not one of this device's ECUs ({})", where,
                    serial, ecu_list(ecus));
      if (!it->is_object() || !it->contains("hardwareId") || !(*it)["hardwareId"].is_string())
        return fail(Code::BadMetadata, "{}: ECU {} has no hardwareId", where, serial);
      const std::string hw = (*it)["hardwareId"].get<std::string>();
      if (hw != ecu->hardware_id)
        return fail(Code::BadHardwareId, "{}: for hardware {}, ECU {} is {}", where, hw, serial,
                    ecu->hardware_id);
      auto found = image.find_target(name);
      if (!found) {
        if (found.error().code() == Code::TargetNotFound)
          return fail(Code::DirectorImageMismatch, "{}: the Image repository does not list it",
                      where);
        return fail(std::move(found).error());
      }
      RATCHET_TRY(same_image(file, *found, name));
      if (found->custom.is_object()) {
        if (const auto hws = found->custom.find("hardwareIds"); hws != found->custom.end()) {
          const bool listed =
              hws->is_array() && std::any_of(hws->begin(), hws->end(), [&](const auto& h) {
                return h.is_string() && h.template get<std::string>() == ecu->hardware_id;
              });
          if (!listed)
            return fail(Code::BadHardwareId, "image target {}: not built for hardware {}", name,
                        ecu->hardware_id);
        }
      }
      // Read before the aggregate: a RATCHET_TRY returning from inside an initializer list
      // leaks the members already built (GCC statement expressions; LeakSanitizer sees it).
      const auto counter = RATCHET_TRY(release_counter_of(*found, "image target " + name));
      EcuTarget t{serial, hw, name, *found, counter};
      if (const auto installed = installed_release_counters.find(serial);
          installed != installed_release_counters.end() &&
          t.release_counter.value_or(0) < installed->second)
        return fail(Code::ReleaseCounterRollback,
                    "image target {}: release counter {} is below the {} installed on ECU {}", name,
                    t.release_counter.value_or(0), installed->second, serial);
      out.targets.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace ratchet::uptane
