#include "agent/provisioning/provisioning_record.hpp"

#include <set>

#include "common/hex.hpp"

namespace ratchet::provisioning {
namespace {

Result<std::string> root_bytes(const tuf::Json& signed_part, const char* field,
                               std::string_view what) {
  const auto it = signed_part.find(field);
  if (it == signed_part.end() || !it->is_object())
    return fail(Code::BadProvisioningRecord, "{}: {} must be a root metadata object", what, field);
  const std::string bytes = it->dump();
  const auto label = fmt::format("{} {}", what, field);
  auto env = tuf::parse_envelope(bytes, label, kMaxRecord);
  if (!env) return fail(Code::BadProvisioningRecord, "{}", env.error().message());
  auto root = tuf::parse_root(*env, label);
  if (!root) return fail(Code::BadProvisioningRecord, "{}", root.error().message());
  const auto role = root->roles.find("root");
  if (role == root->roles.end())
    return fail(Code::BadProvisioningRecord, "{}: no root role", label);
  if (auto s = tuf::verify_role(*env, root->keys, role->second, label); !s)
    return fail(Code::BadProvisioningRecord, "{}", s.error().message());
  return bytes;
}

}  // namespace

Result<ProvisioningKeys> parse_provisioning_keys(std::string_view text, std::string_view what) {
  const auto j = RATCHET_TRY(tuf::parse_json(text, what, 1u << 20));
  if (!j.is_object() || !j.contains("keys") || !j["keys"].is_object() || !j.contains("threshold") ||
      !j["threshold"].is_number_unsigned())
    return fail(Code::BadKey, "{}: needs \"keys\" (an object) and \"threshold\"", what);
  ProvisioningKeys out;
  std::set<std::string> distinct;  // key material: one key under two IDs is one key
  for (const auto& [id, key] : j["keys"].items()) {
    auto pub = RATCHET_TRY(tuf::PublicKey::from_json(key, fmt::format("{} key {}", what, id)));
    if (pub.key_id() != id)
      return fail(Code::BadKey, "{}: key listed as {} has key ID {}", what, id, pub.key_id());
    distinct.insert(pub.material());
    out.role.keyids.push_back(id);
    out.keys.emplace(id, std::move(pub));
  }
  const auto threshold = j["threshold"].get<std::uint64_t>();
  if (threshold == 0 || threshold > distinct.size())
    return fail(Code::BadKey, "{}: threshold {} with {} distinct keys ({} listed)", what, threshold,
                distinct.size(), out.keys.size());
  out.role.threshold = static_cast<std::uint32_t>(threshold);
  return out;
}

std::string provisioning_keys_json(const std::vector<tuf::PublicKey>& keys,
                                   std::uint32_t threshold) {
  tuf::Json j = {{"keys", tuf::Json::object()}, {"threshold", threshold}};
  for (const auto& k : keys)
    j["keys"][k.key_id()] = k.to_json();
  return j.dump(2);
}

Result<ProvisioningRecord> verify_provisioning_record(std::string bytes,
                                                      const ProvisioningKeys& keys,
                                                      std::string_view what) {
  auto env = tuf::parse_envelope(std::move(bytes), what, kMaxRecord);
  if (!env) return fail(Code::BadProvisioningRecord, "{}", env.error().message());
  if (auto s = tuf::verify_role(*env, keys.keys, keys.role, what); !s)
    return fail(Code::BadProvisioningRecord, "{}: {}", what, s.error().message());
  const auto& sp = env->signed_part;
  ProvisioningRecord r;
  try {
    if (sp.at("_type").get<std::string>() != kRecordType)
      return fail(Code::BadProvisioningRecord, "{}: _type is not {}", what, kRecordType);
    r.device_id = sp.at("device_id").get<std::string>();
    r.generation = sp.at("generation").get<std::uint64_t>();
    r.issued = RATCHET_TRY(tuf::parse_time(sp.at("issued").get<std::string>()));
    r.security_version = sp.value("security_version", std::uint64_t{0});
  } catch (const tuf::Json::exception& e) {
    return fail(Code::BadProvisioningRecord, "{}: {}", what, e.what());
  }
  if (r.device_id.empty()) return fail(Code::BadProvisioningRecord, "{}: empty device_id", what);
  r.director_root = RATCHET_TRY(root_bytes(sp, "director_root", what));
  r.image_root = RATCHET_TRY(root_bytes(sp, "image_root", what));
  return r;
}

Result<std::string> sign_provisioning_record(const ProvisioningRecord& record,
                                             const std::vector<const tuf::PrivateKey*>& keys) {
  tuf::Json signed_part = {{"_type", kRecordType},
                           {"device_id", record.device_id},
                           {"generation", record.generation},
                           {"issued", tuf::format_time(record.issued)}};
  if (record.security_version != 0) signed_part["security_version"] = record.security_version;
  signed_part["director_root"] =
      RATCHET_TRY(tuf::parse_json(record.director_root, "director root", kMaxRecord));
  signed_part["image_root"] =
      RATCHET_TRY(tuf::parse_json(record.image_root, "image root", kMaxRecord));
  const std::string canonical = RATCHET_TRY(tuf::canonical_json(signed_part));
  tuf::Json sigs = tuf::Json::array();
  for (const auto* key : keys) {
    const auto sig = RATCHET_TRY(key->sign(std::as_bytes(std::span(canonical))));
    sigs.push_back({{"keyid", key->public_key().key_id()}, {"sig", to_hex(sig)}});
  }
  return tuf::Json{{"signatures", sigs}, {"signed", signed_part}}.dump(1);
}

}  // namespace ratchet::provisioning
