#include "agent/store/failed_targets.hpp"

namespace ratchet::store {

tuf::Json FailedTarget::to_json() const {
  return tuf::Json{{"name", name},
                   {"sha256", sha256},
                   {"length", length},
                   {"reason", reason},
                   {"failed_at", failed_at}};
}

Result<FailedTarget> FailedTarget::from_json(std::string_view text, std::string_view what) {
  const auto j = RATCHET_TRY(tuf::parse_json(text, what, std::size_t{64} * 1024));
  FailedTarget f;
  try {
    f.name = j.at("name").get<std::string>();
    f.sha256 = j.at("sha256").get<std::string>();
    f.length = j.at("length").get<std::uint64_t>();
    f.reason = j.at("reason").get<std::string>();
    f.failed_at = j.at("failed_at").get<std::string>();
  } catch (const tuf::Json::exception& e) {
    return fail(Code::StateForged, "{}: {}", what, e.what());
  }
  return f;
}

std::string failed_key(std::string_view ecu_serial) {
  return fmt::format("ecu/{}/failed", ecu_serial);
}

Result<std::optional<FailedTarget>> failed_target(const LmdbStore& db,
                                                  std::string_view ecu_serial) {
  const auto key = failed_key(ecu_serial);
  const auto text = RATCHET_TRY(db.get(key));
  if (!text) return std::optional<FailedTarget>();
  return std::optional<FailedTarget>(RATCHET_TRY(FailedTarget::from_json(*text, key)));
}

Status record_failed(AnchoredStore& store, std::string_view ecu_serial,
                     const FailedTarget& target) {
  return store.commit({.puts = {{failed_key(ecu_serial), target.to_json().dump()}}, .erases = {}});
}

}  // namespace ratchet::store
