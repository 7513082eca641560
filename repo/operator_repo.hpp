// The operator's repository directory (REPO) that ratchet-repo works on:
//
//   REPO/image/               the Image repository exactly as served (consistent snapshots)
//   REPO/director/<device>/   each device's Director repository as served (root + targets only)
//   REPO/director-root.json   the fleet's Director root v1: what `ratchet provision` is given
//                             (with REPO/image/1.root.json); every device's Director starts there
//   REPO/manifests/<device>.json   the last version manifest each device PUT (ratchet-repo serve)
//   REPO/private/             never served: config.json, the signing state of every repository
//                             (image/, director/<device>/: TufRepository::save; director-template/:
//                             the fleet's Director keys), previous/ (the
//                             metadata each publish replaced, for the replay fault), tmp/, lock
//
// Every change runs under an exclusive lock of REPO/private/lock, publishes, then saves.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "repo/dialect.hpp"
#include "repo/tuf_repository.hpp"
#include "common/fd.hpp"

namespace ratchet::repo {

struct RepoConfig {
  tuf::KeyType key_type = tuf::KeyType::Ed25519;
  std::int64_t expires_days = 365;
  // How the Directors' metadata is written: TUF 1.0, or aktualizr's as OTA Community Edition
  // serves it (repo/dialect.hpp). The Image repository is always TUF 1.0.
  tuf::Dialect director_dialect = tuf::Dialect::Tuf;
};

[[nodiscard]] Result<tuf::KeyType> parse_key_type(std::string_view name);
[[nodiscard]] std::string_view key_type_name(tuf::KeyType type) noexcept;

// A device ID names a directory and a URL segment: letters, digits, '.', '_', '-', at most 128
// characters, not "." or "..".
[[nodiscard]] Status check_device_id(std::string_view id);

// Where REPO's parts are. Pure path arithmetic.
struct RepoPaths {
  std::filesystem::path root;
  [[nodiscard]] std::filesystem::path image() const { return root / "image"; }
  [[nodiscard]] std::filesystem::path directors() const { return root / "director"; }
  [[nodiscard]] std::filesystem::path director(std::string_view id) const {
    return directors() / id;
  }
  [[nodiscard]] std::filesystem::path manifests() const { return root / "manifests"; }
  // The fleet's Director root v1, the file the factory hands to `ratchet provision`.
  [[nodiscard]] std::filesystem::path director_root() const { return root / "director-root.json"; }
  [[nodiscard]] std::filesystem::path director_template() const {
    return private_dir() / "director-template";
  }
  [[nodiscard]] std::filesystem::path private_dir() const { return root / "private"; }
  [[nodiscard]] std::filesystem::path scratch() const { return private_dir() / "tmp"; }
  // The copy of what the last publish replaced, for a served path ("image/timestamp.json").
  [[nodiscard]] std::filesystem::path previous(std::string_view served) const {
    return private_dir() / "previous" / served;
  }
};

// A published target file under consistent snapshots: DIR/targets/<dir of name>/<sha256>.<base>.
[[nodiscard]] std::filesystem::path published_target(const std::filesystem::path& repo_dir,
                                                     const std::string& name,
                                                     const std::string& sha256);

class OperatorRepo {
 public:
  // A new REPO (refused when the path exists): config, Image repository keys, root v1, empty
  // targets, published.
  [[nodiscard]] static Result<OperatorRepo> init(const std::filesystem::path& root,
                                                 RepoConfig config);
  // An existing REPO, locked until this object is gone.
  [[nodiscard]] static Result<OperatorRepo> open(const std::filesystem::path& root);

  [[nodiscard]] const RepoPaths& paths() const noexcept { return paths_; }
  [[nodiscard]] const RepoConfig& config() const noexcept { return config_; }
  [[nodiscard]] tuf::TufRepository& image() noexcept { return image_; }
  // A device's Director repository; created (own keys, root v1) when `create` and absent.
  [[nodiscard]] Result<tuf::TufRepository*> director(const std::string& device, bool create);

  // Moves the expiry of `roles` of `repo` to now + expires_days.
  void refresh_expiry(tuf::TufRepository& repo, const std::vector<std::string>& roles) const;

  // Publishes and saves the Image repository / a device's Director repository. What the publish
  // replaces of timestamp.json and the newest targets metadata is kept under private/previous/.
  [[nodiscard]] Status publish_image();
  [[nodiscard]] Status publish_director(const std::string& device);
  // Saves a device's Director signing state without publishing it (a bundle's own Director
  // targets reserve their version, so an online one signed later never repeats it).
  [[nodiscard]] Status save_director(const std::string& device);

 private:
  OperatorRepo(RepoPaths paths, RepoConfig config, tuf::TufRepository image, UniqueFd lock)
      : paths_(std::move(paths)),
        config_(config),
        image_(std::move(image)),
        lock_(std::move(lock)) {}
  [[nodiscard]] Result<tuf::TufRepository> new_director() const;
  [[nodiscard]] Status publish(tuf::TufRepository& repo, const std::filesystem::path& dir,
                               const std::string& served, const std::filesystem::path& state);
  RepoPaths paths_;
  RepoConfig config_;
  tuf::TufRepository image_;
  std::map<std::string, tuf::TufRepository> directors_;
  UniqueFd lock_;
};

}  // namespace ratchet::repo
