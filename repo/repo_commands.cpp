#include "repo/repo_commands.hpp"

#include <algorithm>
#include <bit>
#include <set>
#include <utility>

#include "streaming/chunk_list.hpp"

namespace ratchet::repo {
namespace {

using tuf::Json;

constexpr int kMaxDeltaChain = 32;

// The Image repository's entry for `name` and the role listing it.
Result<std::pair<std::string, Json>> image_entry(tuf::TufRepository& image,
                                                 const std::string& name) {
  const std::string role = image.role_of_target(name);
  if (role.empty()) return fail(Code::NotFound, "target '{}' is not in the Image repository", name);
  return std::pair{role, image.signed_part(role)["targets"][name]};
}

// custom.ratchet of an Image repository target, checked for the fields this tool relies on.
Result<Json> ratchet_custom(const Json& entry, const std::string& name) {
  const Json* c = entry.contains("custom") ? &entry["custom"] : nullptr;
  if (c == nullptr || !c->contains("ratchet") || !(*c)["ratchet"].is_object())
    return fail(Code::BadMetadata, "target '{}' has no custom.ratchet (not added by ratchet-repo)",
                name);
  const Json& r = (*c)["ratchet"];
  if (!r.contains("format") || !r["format"].is_string() || !r.contains("image") ||
      !r["image"].contains("length") || !r["image"].contains("sha256"))
    return fail(Code::BadMetadata, "target '{}': custom.ratchet needs format and image", name);
  return r;
}

FileDigest digest_of(const Json& j) {
  return FileDigest{j["length"].get<std::uint64_t>(), j["sha256"].get<std::string>()};
}

// A scratch image, removed when done (or a published raw payload, left alone).
struct ImageFile {
  std::filesystem::path path;
  bool scratch = false;
  ImageFile() = default;
  ImageFile(std::filesystem::path p, bool s) : path(std::move(p)), scratch(s) {}
  ImageFile(ImageFile&& o) noexcept
      : path(std::move(o.path)), scratch(std::exchange(o.scratch, false)) {}
  ImageFile& operator=(ImageFile&& o) noexcept {
    if (this != &o) {
      drop();
      path = std::move(o.path);
      scratch = std::exchange(o.scratch, false);
    }
    return *this;
  }
  ImageFile(const ImageFile&) = delete;
  ImageFile& operator=(const ImageFile&) = delete;
  ~ImageFile() { drop(); }
  void drop() noexcept {
    std::error_code ec;
    if (scratch) std::filesystem::remove(path, ec);
    scratch = false;
  }
};

// The image of target `name` as it lands in a slot: a raw payload is its image; a zstd or delta
// payload is decoded (a delta against its own base's image, recursively) and checked.
Result<ImageFile> image_of(OperatorRepo& repo, const std::string& name, int depth) {
  if (depth > kMaxDeltaChain)
    return fail(Code::InvalidArgument, "target '{}': delta chain longer than {}", name,
                kMaxDeltaChain);
  const auto [role, entry] = RATCHET_TRY(image_entry(repo.image(), name));
  const Json r = RATCHET_TRY(ratchet_custom(entry, name));
  const auto format = RATCHET_TRY(streaming::parse_format(r["format"].get<std::string>()));
  const auto payload =
      published_target(repo.paths().image(), name, entry["hashes"]["sha256"].get<std::string>());
  if (format == PayloadFormat::Raw) return ImageFile(payload, false);
  ImageFile base;
  if (format == PayloadFormat::Delta) {
    if (!r.contains("deltaBase") || !r["deltaBase"].contains("name"))
      return fail(Code::BadMetadata, "target '{}': a delta without custom.ratchet.deltaBase", name);
    base = RATCHET_TRY(image_of(repo, r["deltaBase"]["name"].get<std::string>(), depth + 1));
  }
  ImageFile out(scratch_file(repo.paths().scratch(), ".img"), true);
  RATCHET_TRY_CTX(decode_payload(payload, format, base.path, digest_of(r["image"]), out.path),
                  fmt::format("image of target '{}'", name));
  return out;
}

// A delegated role must be trusted for every name put in it, or devices ignore the entry.
Status check_role_covers(tuf::TufRepository& image, const std::string& role,
                         const std::vector<std::string>& names) {
  if (role == "targets") return {};
  const std::string parent = image.parent_of(role);
  if (parent.empty()) return fail(Code::InvalidArgument, "no delegated role '{}'", role);
  for (const auto& d : image.signed_part(parent)["delegations"]["roles"]) {
    if (d["name"] != role) continue;
    for (const auto& name : names) {
      const bool covered = std::any_of(d["paths"].begin(), d["paths"].end(), [&](const Json& p) {
        return tuf::path_matches(p.get<std::string>(), name);
      });
      if (!covered)
        return fail(Code::InvalidArgument, "role '{}' is not trusted for '{}' (paths {})", role,
                    name, d["paths"].dump());
    }
  }
  return {};
}

Status check_add_target(tuf::TufRepository& image, const AddTargetRequest& r) {
  RATCHET_TRY(check_target_name(r.name));
  if (r.hardware_ids.empty())
    return fail(Code::InvalidArgument, "target '{}' needs at least one --hardware-id", r.name);
  for (const auto& n : {r.name, r.name + ".chunks"})
    if (!image.role_of_target(n).empty())
      return fail(Code::InvalidArgument,
                  "target '{}' is already in the Image repository (targets are immutable: use a "
                  "new name)",
                  n);
  if (r.chunk_size < streaming::ChunkList::kMinChunkSize ||
      r.chunk_size > streaming::ChunkList::kMaxChunkSize || !std::has_single_bit(r.chunk_size))
    return fail(Code::InvalidArgument, "--chunk-size {}: a power of two from {} to {}",
                r.chunk_size, streaming::ChunkList::kMinChunkSize,
                streaming::ChunkList::kMaxChunkSize);
  if ((r.format == PayloadFormat::Delta) != !r.delta_base.empty())
    return fail(Code::InvalidArgument, "--delta-base goes with --format delta, and only with it");
  if (!image.has_role(r.role) || image.signed_part(r.role)["_type"] != "targets")
    return fail(Code::InvalidArgument, "no targets role '{}' in the Image repository", r.role);
  return check_role_covers(image, r.role, {r.name, r.name + ".chunks"});
}

void refresh_targets_chain(OperatorRepo& repo, tuf::TufRepository& t, const std::string& role) {
  t.bump(role);
  repo.refresh_expiry(t, {role, "snapshot", "timestamp"});
}

}  // namespace

Status check_target_name(const std::string& name) {
  const std::filesystem::path rel(name);
  bool ok = !name.empty() && !rel.is_absolute() && name.back() != '/' && name.size() <= 512;
  for (const auto& part : rel)
    ok = ok && part != ".." && part != "." && !part.empty();
  if (!ok || name.find("//") != std::string::npos)
    return fail(Code::InvalidArgument,
                "target name '{}': a relative path without empty, '.' or '..' parts", name);
  return {};
}

Status add_target(const std::filesystem::path& root, const AddTargetRequest& request) {
  auto repo = RATCHET_TRY(OperatorRepo::open(root));
  auto& image = repo.image();
  RATCHET_TRY(check_add_target(image, request));

  PayloadRequest pr{.image = request.image,
                    .format = request.format,
                    .chunk_size = request.chunk_size,
                    .scratch_dir = repo.paths().scratch()};
  Json delta_base;
  ImageFile base;
  if (request.format == PayloadFormat::Delta) {
    base = RATCHET_TRY(image_of(repo, request.delta_base, 0));
    const auto [role, entry] = RATCHET_TRY(image_entry(image, request.delta_base));
    const Json r = RATCHET_TRY(ratchet_custom(entry, request.delta_base));
    delta_base = Json{{"name", request.delta_base},
                      {"length", r["image"]["length"]},
                      {"sha256", r["image"]["sha256"]}};
    pr.base = base.path;
  }
  const BuiltPayload built = RATCHET_TRY(build_payload(pr));
  const ImageFile chunks_file(built.chunks, true);
  const ImageFile payload_file(built.payload, built.payload_is_scratch);

  const Json hw(request.hardware_ids);
  Json ratchet{{"format", streaming::format_name(request.format)},
               {"image", Json{{"length", built.image.length}, {"sha256", built.image.sha256}}},
               {"chunks", Json{{"name", request.name + ".chunks"},
                               {"length", built.chunks_digest.length},
                               {"sha256", built.chunks_digest.sha256}}},
               {"securityVersion", request.security_version}};
  if (!delta_base.is_null()) ratchet["deltaBase"] = delta_base;
  const Json custom{
      {"hardwareIds", hw}, {"releaseCounter", request.release_counter}, {"ratchet", ratchet}};
  RATCHET_TRY(image.add_target_file(request.name, built.payload, custom, request.role,
                                    built.payload_is_scratch));
  RATCHET_TRY(image.add_target_file(request.name + ".chunks", built.chunks,
                                    Json{{"hardwareIds", hw}}, request.role, true));
  refresh_targets_chain(repo, image, request.role);
  return repo.publish_image();
}

Result<Json> director_targets(OperatorRepo& repo, const std::vector<Assignment>& assignments) {
  if (assignments.empty()) return fail(Code::InvalidArgument, "nothing to assign");
  Json targets = Json::object();
  std::set<std::string> serials;
  for (const auto& a : assignments) {
    if (a.ecu_serial.empty() || a.hardware_id.empty())
      return fail(Code::InvalidArgument, "an ECU serial and hardware ID may not be empty");
    if (!serials.insert(a.ecu_serial).second)
      return fail(Code::InvalidArgument, "ECU '{}' is assigned twice", a.ecu_serial);
    const auto [role, entry] = RATCHET_TRY(image_entry(repo.image(), a.target));
    const Json r = RATCHET_TRY(ratchet_custom(entry, a.target));
    const Json& hws = entry["custom"].value("hardwareIds", Json::array());
    if (std::find(hws.begin(), hws.end(), Json(a.hardware_id)) == hws.end())
      return fail(Code::InvalidArgument, "target '{}' is for hardware {}, not '{}' (ECU '{}')",
                  a.target, hws.dump(), a.hardware_id, a.ecu_serial);
    if (!targets.contains(a.target))
      targets[a.target] =
          Json{{"length", entry["length"]},
               {"hashes", entry["hashes"]},
               {"custom", Json{{"ratchet", r}, {"ecuIdentifiers", Json::object()}}}};
    targets[a.target]["custom"]["ecuIdentifiers"][a.ecu_serial] =
        Json{{"hardwareId", a.hardware_id}};
  }
  return targets;
}

Result<std::vector<Assignment>> assignments_for(OperatorRepo& repo, const std::string& device,
                                                const std::vector<std::string>& targets) {
  // The device's ECUs as its Director knows them: every ECU any current assignment names.
  tuf::TufRepository* director = RATCHET_TRY(repo.director(device, false));
  std::map<std::string, std::string> ecus;  // serial -> hardware ID
  for (const auto& [name, entry] : director->signed_part("targets")["targets"].items()) {
    const Json ids = entry.value("custom", Json::object()).value("ecuIdentifiers", Json::object());
    if (!ids.is_object()) continue;
    for (const auto& [serial, id] : ids.items())
      if (id.is_object() && id.contains("hardwareId") && id["hardwareId"].is_string())
        ecus[serial] = id["hardwareId"].get<std::string>();
  }
  std::vector<Assignment> out;
  for (const auto& target : targets) {
    const auto [role, entry] = RATCHET_TRY(image_entry(repo.image(), target));
    const Json& hws = entry["custom"].value("hardwareIds", Json::array());
    std::size_t matched = 0;
    for (const auto& [serial, hw] : ecus)
      if (std::find(hws.begin(), hws.end(), Json(hw)) != hws.end()) {
        out.push_back({serial, hw, target});
        ++matched;
      }
    if (matched == 0)
      return fail(Code::InvalidArgument,
                  "target '{}' (hardware {}) fits no ECU the Director of '{}' knows; name them "
                  "with --ecu and --hardware-id",
                  target, hws.dump(), device);
  }
  return out;
}

Status assign(const std::filesystem::path& root, const std::string& device,
              const std::vector<Assignment>& assignments) {
  RATCHET_TRY(check_device_id(device));
  auto repo = RATCHET_TRY(OperatorRepo::open(root));
  const Json targets = RATCHET_TRY(director_targets(repo, assignments));
  tuf::TufRepository* director = RATCHET_TRY(repo.director(device, true));
  director->signed_part("targets")["targets"] = targets;
  refresh_targets_chain(repo, *director, "targets");
  return repo.publish_director(device);
}

Status rotate_key(const std::filesystem::path& root, const std::optional<std::string>& device,
                  const std::string& role) {
  if (role != "root" && role != "timestamp" && role != "snapshot" && role != "targets")
    return fail(Code::InvalidArgument, "role '{}': expected root, timestamp, snapshot or targets",
                role);
  auto repo = RATCHET_TRY(OperatorRepo::open(root));
  tuf::TufRepository* t = &repo.image();
  if (device) t = RATCHET_TRY(repo.director(*device, false));
  if (!t->has_role(role))
    return fail(Code::InvalidArgument, "role '{}': the Director of {} has only root and targets",
                role, *device);
  std::vector<std::string> old;
  for (const auto& k : t->keys(role))
    old.push_back(k.public_key().key_id());
  RATCHET_TRY(t->add_key(role, RATCHET_TRY(tuf::PrivateKey::generate(repo.config().key_type))));
  for (const auto& id : old)
    t->remove_key(role, id);
  // The new root lists the new key; TufRepository signs it with the old and the new root keys.
  t->bump("root");
  repo.refresh_expiry(*t, {"root"});
  if (role != "root") {
    t->bump(role);
    repo.refresh_expiry(*t, {role});
  }
  return device ? repo.publish_director(*device) : repo.publish_image();
}

Status delegate(const std::filesystem::path& root, const std::string& role,
                const std::vector<std::string>& paths) {
  if (role.empty() || role == "root" || role == "timestamp" || role == "snapshot" ||
      role == "targets" || role.find('/') != std::string::npos)
    return fail(Code::InvalidArgument, "role name '{}' is not usable for a delegation", role);
  if (paths.empty()) return fail(Code::InvalidArgument, "a delegation needs --paths");
  auto repo = RATCHET_TRY(OperatorRepo::open(root));
  auto& image = repo.image();
  if (image.has_role(role))
    return fail(Code::InvalidArgument, "role '{}' already exists in the Image repository", role);
  (void)RATCHET_TRY(image.add_delegation("targets", role, paths));
  repo.refresh_expiry(image, {role});
  refresh_targets_chain(repo, image, "targets");
  return repo.publish_image();
}

}  // namespace ratchet::repo
