#include "repo/operator_repo.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <optional>

#include <fcntl.h>
#include <sys/file.h>

#include "common/file.hpp"

namespace ratchet::repo {
namespace {

constexpr std::uint64_t kMaxMetadata = 16u << 20;
constexpr std::int64_t kDay = std::int64_t{24} * 3600;

std::vector<std::string> top_roles() {
  return {"root", "timestamp", "snapshot", "targets"};
}

tuf::Seconds now() {
  return static_cast<tuf::Seconds>(std::time(nullptr));
}

std::optional<std::string> read_if_there(const std::filesystem::path& path) {
  auto bytes = read_file(path, kMaxMetadata);
  if (!bytes) return std::nullopt;
  return std::move(*bytes);
}

// The newest "N.targets.json" in a consistent-snapshot repository, or "targets.json".
std::filesystem::path newest_targets(const std::filesystem::path& dir) {
  std::uint64_t best = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const auto dot = name.find('.');
    if (dot == 0 || dot == std::string::npos || name.substr(dot) != ".targets.json") continue;
    std::uint64_t v = 0;
    bool digits = true;
    for (std::size_t i = 0; i < dot && digits; ++i) {
      digits = std::isdigit(static_cast<unsigned char>(name[i])) != 0 && v < UINT64_MAX / 10 - 9;
      v = v * 10 + static_cast<std::uint64_t>(name[i] - '0');
    }
    if (digits && v > best) best = v;
  }
  return best == 0 ? dir / "targets.json" : dir / fmt::format("{}.targets.json", best);
}

Status save_config(const RepoPaths& paths, const RepoConfig& config) {
  const tuf::Json j{{"key_type", key_type_name(config.key_type)},
                    {"expires_days", config.expires_days},
                    {"director_dialect", tuf::dialect_name(config.director_dialect)}};
  return write_file_atomic(paths.private_dir() / "config.json", j.dump(1) + "\n", 0600);
}

Result<RepoConfig> load_config(const RepoPaths& paths) {
  const auto path = paths.private_dir() / "config.json";
  const std::string text = RATCHET_TRY_CTX(read_file(path, 1u << 16), path.string());
  const tuf::Json j = RATCHET_TRY(tuf::parse_json(text, path.string()));
  RepoConfig c;
  if (!j.is_object() || !j.contains("key_type") || !j["key_type"].is_string() ||
      !j.contains("expires_days") || !j["expires_days"].is_number_integer())
    return fail(Code::BadConfig, "{}: needs key_type and expires_days", path.string());
  c.key_type = RATCHET_TRY_CTX(parse_key_type(j["key_type"].get<std::string>()), path.string());
  c.expires_days = j["expires_days"].get<std::int64_t>();
  if (j.contains("director_dialect")) {  // absent in repositories made before dialects: TUF
    if (!j["director_dialect"].is_string())
      return fail(Code::BadConfig, "{}: director_dialect is not a string", path.string());
    c.director_dialect = RATCHET_TRY_CTX(
        tuf::parse_dialect(j["director_dialect"].get<std::string>()), path.string());
  }
  return c;
}

Result<UniqueFd> lock_repo(const RepoPaths& paths) {
  const auto path = paths.private_dir() / "lock";
  auto fd = RATCHET_TRY(open_file(path, O_RDWR | O_CREAT, 0600));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
    return fail(Code::Busy, "{}: another ratchet-repo is working on this repository",
                path.string());
  return fd;
}

}  // namespace

Result<tuf::KeyType> parse_key_type(std::string_view name) {
  if (name == "ed25519") return tuf::KeyType::Ed25519;
  if (name == "ecdsa") return tuf::KeyType::EcdsaP256;
  if (name == "rsa") return tuf::KeyType::Rsa;
  return fail(Code::InvalidArgument, "key type '{}': expected ed25519, ecdsa or rsa", name);
}

std::string_view key_type_name(tuf::KeyType type) noexcept {
  switch (type) {
    case tuf::KeyType::EcdsaP256:
      return "ecdsa";
    case tuf::KeyType::Rsa:
      return "rsa";
    default:
      return "ed25519";
  }
}

Status check_device_id(std::string_view id) {
  const bool ok =
      !id.empty() && id.size() <= 128 && id != "." && id != ".." &&
      std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
      });
  if (!ok)
    return fail(Code::InvalidArgument,
                "device ID '{}': use 1 to 128 letters, digits, '.', '_' or '-'", id);
  return {};
}

std::filesystem::path published_target(const std::filesystem::path& repo_dir,
                                       const std::string& name, const std::string& sha256) {
  const std::filesystem::path rel(name);
  return (repo_dir / "targets" / rel).parent_path() /
         fmt::format("{}.{}", sha256, rel.filename().string());
}

Result<OperatorRepo> OperatorRepo::init(const std::filesystem::path& root, RepoConfig config) {
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(root, ec)))
    return fail(Code::InvalidArgument, "{}: already exists (init makes a new repository)",
                root.string());
  if (config.expires_days <= 0 || config.expires_days > 36500)
    return fail(Code::InvalidArgument, "--expires-days {}: expected 1 to 36500",
                config.expires_days);
  RepoPaths paths{root};
  std::filesystem::create_directories(paths.private_dir(), ec);
  if (ec) return fail(errno_error(ec.value(), paths.private_dir().string()));
  std::filesystem::permissions(paths.private_dir(), std::filesystem::perms::owner_all, ec);
  auto lock = RATCHET_TRY(lock_repo(paths));
  RATCHET_TRY(save_config(paths, config));
  auto image = RATCHET_TRY(tuf::TufRepository::create(now(), config.key_type, true));
  OperatorRepo repo(std::move(paths), config, std::move(image), std::move(lock));
  repo.refresh_expiry(repo.image_, top_roles());
  RATCHET_TRY(repo.publish_image());
  // The fleet's Director keys: every device's Director starts from this root, so the factory
  // can provision a device before anything is assigned to it.
  auto director = RATCHET_TRY(repo.new_director());
  RATCHET_TRY(director.save(repo.paths_.director_template()));
  RATCHET_TRY(write_file_atomic(repo.paths_.director_root(), director.root_bytes(1), 0644));
  return repo;
}

Result<tuf::TufRepository> OperatorRepo::new_director() const {
  // aktualizr's Director layout: no consistent snapshots, root and targets only (its root lists
  // only those two roles, so a device pins it as targets-only).
  auto repo = RATCHET_TRY(
      tuf::TufRepository::create(now(), config_.key_type, false, tuf::Layout::TargetsOnly));
  repo.set_dialect(config_.director_dialect);
  refresh_expiry(repo, top_roles());
  return repo;
}

Result<OperatorRepo> OperatorRepo::open(const std::filesystem::path& root) {
  RepoPaths paths{root};
  std::error_code ec;
  if (!std::filesystem::is_directory(paths.private_dir(), ec))
    return fail(Code::NotFound, "{}: not a ratchet-repo repository (no private/)", root.string());
  auto lock = RATCHET_TRY(lock_repo(paths));
  std::filesystem::remove_all(paths.scratch(), ec);  // what a crashed run left behind
  std::filesystem::create_directories(paths.scratch(), ec);
  if (ec) return fail(errno_error(ec.value(), paths.scratch().string()));
  const RepoConfig config = RATCHET_TRY(load_config(paths));
  auto image = RATCHET_TRY(tuf::TufRepository::load(paths.private_dir() / "image"));
  return OperatorRepo(std::move(paths), config, std::move(image), std::move(lock));
}

Result<tuf::TufRepository*> OperatorRepo::director(const std::string& device, bool create) {
  RATCHET_TRY(check_device_id(device));
  if (auto it = directors_.find(device); it != directors_.end()) return &it->second;
  const auto state = paths_.private_dir() / "director" / device;
  std::error_code ec;
  if (std::filesystem::exists(state / "state.json", ec)) {
    auto repo = RATCHET_TRY(tuf::TufRepository::load(state));
    return &directors_.emplace(device, std::move(repo)).first->second;
  }
  if (!create)
    return fail(Code::NotFound, "no Director repository for device '{}' (assign creates it)",
                device);
  // From the fleet's Director root (repositories made before it existed: keys of its own).
  auto repo = std::filesystem::exists(paths_.director_template() / "state.json", ec)
                  ? RATCHET_TRY(tuf::TufRepository::load(paths_.director_template()))
                  : RATCHET_TRY(new_director());
  return &directors_.emplace(device, std::move(repo)).first->second;
}

void OperatorRepo::refresh_expiry(tuf::TufRepository& repo,
                                  const std::vector<std::string>& roles) const {
  for (const auto& role : roles)
    if (repo.has_role(role)) repo.set_expires(role, now() + config_.expires_days * kDay);
}

Status OperatorRepo::publish_image() {
  return publish(image_, paths_.image(), "image", paths_.private_dir() / "image");
}

Status OperatorRepo::publish_director(const std::string& device) {
  tuf::TufRepository* repo = RATCHET_TRY(director(device, false));
  return publish(*repo, paths_.director(device), "director/" + device,
                 paths_.private_dir() / "director" / device);
}

Status OperatorRepo::save_director(const std::string& device) {
  tuf::TufRepository* repo = RATCHET_TRY(director(device, false));
  return repo->save(paths_.private_dir() / "director" / device);
}

Status OperatorRepo::publish(tuf::TufRepository& repo, const std::filesystem::path& dir,
                             const std::string& served, const std::filesystem::path& state) {
  const auto old_timestamp = read_if_there(dir / "timestamp.json");
  const auto old_targets_path = newest_targets(dir);
  const auto old_targets = read_if_there(old_targets_path);
  RATCHET_TRY_CTX(repo.publish(dir), dir.string());
  std::error_code ec;
  std::filesystem::create_directories(paths_.previous(served), ec);
  const auto keep = [&](const std::optional<std::string>& old, const std::filesystem::path& now_at,
                        const char* as) -> Status {
    if (!old || read_if_there(now_at) == old) return {};
    return write_file_atomic(paths_.previous(served) / as, *old, 0600);
  };
  RATCHET_TRY(keep(old_timestamp, dir / "timestamp.json", "timestamp.json"));
  RATCHET_TRY(keep(old_targets, newest_targets(dir), "targets.json"));
  return repo.save(state);
}

}  // namespace ratchet::repo
