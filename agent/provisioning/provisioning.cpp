#include "agent/provisioning/provisioning.hpp"

#include "agent/store/installed_images.hpp"
#include "common/log.hpp"

namespace ratchet::provisioning {
namespace {

using store::AnchoredStore;
using tpm::Counter;

constexpr std::string_view kDirectorRoot = "trusted/director/root";
constexpr std::string_view kImageRoot = "trusted/image/root";

Result<Enrollment> enrollment(const AnchoredStore& s, DeviceAnchor& anchor, bool changed) {
  Enrollment e;
  e.changed = changed;
  auto id = RATCHET_TRY(s.db().get(kDeviceIdKey));
  e.device_id = id.value_or("");
  e.generation = s.generation();
  e.epoch = s.epoch();
  e.ecu_public_pem = RATCHET_TRY(anchor.signing_key->public_key_pem());
  e.counters = anchor.counters->describe();
  e.signing_key = anchor.signing_key->describe();
  e.hardware_anchored = anchor.hardware_anchored();
  e.signing_key_in_tpm = anchor.signing_key->hardware_backed();
  return e;
}

Status check_root(const std::string& bytes, std::string_view what) {
  auto env = RATCHET_TRY(tuf::parse_envelope(bytes, what, kMaxRecord));
  const auto root = RATCHET_TRY(tuf::parse_root(env, what));
  const auto role = root.roles.find("root");
  if (role == root.roles.end()) return fail(Code::BadMetadata, "{}: no root role", what);
  return tuf::verify_role(env, root.keys, role->second, what);
}

}  // namespace

Result<Enrollment> provision(store::LmdbStore& db, DeviceAnchor& anchor,
                             const FactoryInput& input) {
  if (input.device_id.empty()) return fail(Code::InvalidArgument, "the device ID is empty");
  RATCHET_TRY(check_root(input.director_root, "initial director root"));
  RATCHET_TRY(check_root(input.image_root, "initial image root"));

  // Counters first: everything else is bound to them.
  bool fresh = false;
  for (const Counter c :
       {Counter::Epoch, Counter::ProvisioningGeneration, Counter::SecurityVersion}) {
    const bool made = RATCHET_TRY_CTX(anchor.counters->define(c), tpm::counter_name(c));
    if (c == Counter::Epoch) fresh = made;
  }
  const bool key_made = RATCHET_TRY_CTX(anchor.state_key->create(), "state key");
  const bool signer_made = RATCHET_TRY_CTX(anchor.signing_key->create(), "ECU signing key");

  auto existing = AnchoredStore::open(db, anchor.anchor());
  if (existing) {
    const auto id = RATCHET_TRY(db.get(kDeviceIdKey)).value_or("");
    if (id != input.device_id)
      return fail(Code::WrongDevice,
                  "this device is already provisioned as '{}'; re-provisioning it needs a "
                  "provisioning record",
                  id);
    if (key_made || signer_made)
      return fail(Code::Internal, "enrolled device had no state key or ECU key");
    log::notice("device '{}' is already provisioned; nothing changed", id);
    return enrollment(*existing, anchor, false);
  }
  if (existing.error().code() != Code::StateMissing || !fresh)
    return fail(Error(
        existing.error().code(),
        existing.error().message() + (fresh ? ""
                                            : " (the counters already existed: use a provisioning "
                                              "record to start this device over)")));

  auto s = RATCHET_TRY(AnchoredStore::replace_all(db, anchor.anchor()));
  AnchoredStore::Change change;
  change.puts[std::string(kDeviceIdKey)] = input.device_id;
  change.puts[std::string(kDirectorRoot)] = input.director_root;
  change.puts[std::string(kImageRoot)] = input.image_root;
  RATCHET_TRY(s.commit(change));
  log::notice("provisioned device '{}' ({})", input.device_id,
              anchor.hardware_anchored() ? "rollback floors anchored in the TPM"
                                         : "rollback floors are NOT hardware-anchored");
  return enrollment(s, anchor, true);
}

Result<Enrollment> reprovision(store::LmdbStore& db, DeviceAnchor& anchor,
                               const std::string& record, const ProvisioningKeys& keys,
                               std::string_view device_id) {
  const auto r = RATCHET_TRY(verify_provisioning_record(record, keys, "provisioning record"));

  // The device's identity: from its verified state, or (recovering a lost or rolled-back store)
  // from its configuration.
  std::string identity;
  auto current = AnchoredStore::open(db, anchor.anchor());
  if (current) {
    identity = RATCHET_TRY(db.get(kDeviceIdKey)).value_or("");
  } else {
    const Code why = current.error().code();
    if (why != Code::StateMissing && why != Code::StateRollback && why != Code::StateForged)
      return fail(std::move(current).error());
    if (device_id.empty())
      return fail(Error(why, current.error().message() +
                                 "; recovering needs the device ID from the configuration"));
    identity = device_id;
    log::warning("recovering from: {}", current.error().message());
  }
  if (r.device_id != identity)
    return fail(Code::WrongDevice, "the provisioning record is for device '{}', this is '{}'",
                r.device_id, identity);

  const std::uint64_t generation = RATCHET_TRY_CTX(
      anchor.counters->read(Counter::ProvisioningGeneration), "provisioning generation counter");
  if (r.generation < generation)
    return fail(Code::ProvisioningReplay,
                "the provisioning record is for generation {} but the device is at {}: it was "
                "already used (or superseded)",
                r.generation, generation);
  if (r.generation > generation)
    return fail(Code::BadProvisioningRecord,
                "the provisioning record is for generation {} but the device is at {}",
                r.generation, generation);

  // A new lineage: fresh floors for both repositories (every ECU at once); the device, its ECUs'
  // installed images and release counters and the time floor stay.
  AnchoredStore::Change change;
  change.new_generation = true;
  change.puts[std::string(kDeviceIdKey)] = identity;
  change.puts[std::string(kRecordKey)] = record;
  change.puts[std::string(kDirectorRoot)] = r.director_root;
  change.puts[std::string(kImageRoot)] = r.image_root;
  // The security-version floor only moves up: a live store keeps its own if higher; a recovered
  // one (whose contents are not trusted) takes the record's.
  std::uint64_t svn = r.security_version;
  if (current) svn = std::max(svn, RATCHET_TRY(store::security_version_floor(db)));
  if (svn != 0) change.puts[std::string(store::kSecurityVersionKey)] = std::to_string(svn);
  for (const auto& [key, value] : RATCHET_TRY(db.scan("trusted/")))
    if (!change.puts.contains(key)) change.erases.push_back(key);
  auto s =
      current ? std::move(*current) : RATCHET_TRY(AnchoredStore::replace_all(db, anchor.anchor()));
  RATCHET_TRY(s.commit(change));
  log::notice("device '{}' re-provisioned: generation {}, new lineage, floors reset", identity,
              s.generation());
  return enrollment(s, anchor, true);
}

Result<Enrollment> describe(store::LmdbStore& db, DeviceAnchor& anchor) {
  auto s = RATCHET_TRY(AnchoredStore::open(db, anchor.anchor()));
  return enrollment(s, anchor, false);
}

Result<std::string> enrollment_json(const Enrollment& e) {
  auto key =
      RATCHET_TRY(tuf::PublicKey::from_json(tuf::Json{{"keytype", "ecdsa"},
                                                      {"scheme", tuf::kEcdsaP256},
                                                      {"keyval", {{"public", e.ecu_public_pem}}}},
                                            "ECU key"));
  tuf::Json j = {{"device_id", e.device_id},
                 {"provisioning_generation", e.generation},
                 {"epoch", e.epoch},
                 {"ecu_key", key.to_json()},
                 {"ecu_key_id", key.key_id()},
                 {"ecu_key_storage", e.signing_key},
                 {"ecu_key_in_tpm", e.signing_key_in_tpm},
                 {"counters", e.counters},
                 {"hardware_anchored", e.hardware_anchored},
                 {"changed", e.changed}};
  return j.dump(2);
}

}  // namespace ratchet::provisioning
