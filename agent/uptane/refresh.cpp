#include "agent/uptane/refresh.hpp"

#include "agent/store/time_floor.hpp"
#include "common/log.hpp"

namespace ratchet::uptane {
namespace {

tuf::UpdaterOptions updater_options(std::string repository, tuf::Seconds now, bool director) {
  tuf::UpdaterOptions o;
  o.repository = std::move(repository);
  o.now = [now] { return now; };
  // A Director may be targets-only (OTA Community Edition) when its trusted root says so; the
  // Image repository never.
  o.allow_targets_only = director;
  o.uptane = true;  // the Uptane Standard's rules where they differ from TUF 1.0
  return o;
}

// With no trusted root: the repository's 1.root.json, which must still be a valid root signed
// by its own threshold.
Status trust_first_root(store::StagedMetadata& staged, tuf::Fetcher& fetcher,
                        std::string_view repo) {
  if (RATCHET_TRY(staged.load("root"))) return {};
  auto bytes =
      RATCHET_TRY_CTX(fetcher.fetch("1.root.json", 512000), std::string(repo) + " 1.root.json");
  auto env = RATCHET_TRY(tuf::parse_envelope(bytes, fmt::format("{} 1.root.json", repo), 512000));
  const auto root = RATCHET_TRY(tuf::parse_root(env, fmt::format("{} 1.root.json", repo)));
  if (root.version != 1)
    return fail(Code::VersionMismatch, "{}: 1.root.json holds version {}", repo, root.version);
  RATCHET_TRY(
      tuf::verify_role(env, root.keys, root.roles.at("root"), fmt::format("{} root v1", repo)));
  log::warning("{}: no provisioned root; trusting 1.root.json on first use", repo);
  return staged.store("root", bytes);
}

}  // namespace

Refresh::Refresh(const store::LmdbStore& db, tuf::Fetcher& director, tuf::Fetcher& image,
                 const RefreshOptions& options)
    : options_(options),
      db_(db),
      director_fetcher_(director),
      image_fetcher_(image),
      director_md_(db, "director"),
      image_md_(db, "image"),
      director_(director_md_, director, updater_options("director repository", options.now, true)),
      image_(image_md_, image, updater_options("image repository", options.now, false)) {}

Result<VerifiedTargets> Refresh::run(const std::vector<Ecu>& ecus,
                                     const std::map<std::string, std::uint64_t>& release_counters) {
  if (options_.trust_first_root) {
    RATCHET_TRY(trust_first_root(director_md_, director_fetcher_, "director repository"));
    RATCHET_TRY(trust_first_root(image_md_, image_fetcher_, "image repository"));
  }
  RATCHET_TRY(director_.refresh());
  RATCHET_TRY(image_.refresh());
  return verify_director_targets(director_.targets(), image_, ecus, release_counters);
}

Result<store::AnchoredStore::Change> Refresh::change() const {
  store::AnchoredStore::Change c;
  c.puts = director_md_.staged();
  c.puts.insert(image_md_.staged().begin(), image_md_.staged().end());
  auto& floor = RATCHET_TRY(store::time_floor_due(db_, options_.now)) ? c.puts : c.riders;
  floor[std::string(store::kTimeFloorKey)] = std::to_string(options_.now);
  return c;
}

}  // namespace ratchet::uptane
