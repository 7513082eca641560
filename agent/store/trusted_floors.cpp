#include "agent/store/trusted_floors.hpp"

#include "agent/tuf/metadata.hpp"

namespace ratchet::store {

Result<tuf::Json> trusted_floors(const LmdbStore& db) {
  tuf::Json out = tuf::Json::object();
  for (const std::string repo : {"director", "image"}) {
    tuf::Json roles = tuf::Json::object();
    const std::string prefix = "trusted/" + repo + "/";
    for (const auto& [key, bytes] : RATCHET_TRY(db.scan(prefix))) {
      const std::string role = key.substr(prefix.size());
      auto env =
          RATCHET_TRY(tuf::parse_envelope(bytes, fmt::format("{} {}", repo, role), kMaxValue));
      const auto version = env.signed_part.find("version");
      if (version == env.signed_part.end() || !version->is_number_unsigned())
        return fail(Code::BadMetadata, "trusted {} {} has no version", repo, role);
      roles[role] = version->get<std::uint64_t>();
    }
    out[repo] = std::move(roles);
  }
  return out;
}

}  // namespace ratchet::store
