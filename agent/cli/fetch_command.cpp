// `ratchet fetch`: one Uptane check without installing, with the contract outside suites use:
//   ratchet fetch --storage-dir D --director-url U --image-url U --ecu-serial S --hardware-id H
//                 --target-dir T
// (--ecu-serial and --hardware-id may be repeated in pairs: the vehicle's ECUs. A Director that
// names any other ECU is refused, BadEcuSerial: Uptane 2.0 5.4.4.6 step 8.)
// Both repositories are verified (the Director may be root + targets only); only when the whole
// set verifies is it committed to the store in one transaction. This ECU's Director targets are
// then downloaded, verified against the Image repository's metadata, into T/<name>.
// Exit 0 or 1; failures print `error: <Code>: <message>`.
// With --tcti or --anchor-dir the store is the provisioned, anchored one: its state must verify
// (no trust on first use, ever) and the new set is committed with one epoch increment.
#include <cstdio>
#include <memory>
#include <vector>

#include <fmt/ranges.h>

#include "agent/cli/anchor_options.hpp"
#include "agent/cli/command.hpp"
#include "agent/store/anchored_store.hpp"
#include "agent/store/lmdb_store.hpp"
#include "agent/store/time_floor.hpp"
#include "agent/uptane/refresh.hpp"
#include "common/log.hpp"
#include "streaming/digest_check.hpp"
#include "streaming/file_sink.hpp"

namespace ratchet::cli {
namespace {

struct FetchOptions {
  std::string storage_dir, director_url, image_url, target_dir;
  std::vector<std::string> ecu_serials, hardware_ids;  // in pairs
  std::uint64_t min_rate = 1024;
  unsigned low_speed_time = 30;
  AnchorOptions anchor;
};

// A target name becomes a path under the target directory; nothing may escape it.
Result<std::filesystem::path> target_file(const std::filesystem::path& dir,
                                          const std::string& name) {
  const std::filesystem::path rel(name);
  if (name.empty() || rel.is_absolute())
    return fail(Code::BadMetadata, "target name '{}' is not a relative path", name);
  for (const auto& part : rel)
    if (part == ".." || part == ".")
      return fail(Code::BadMetadata, "target name '{}' leaves the target directory", name);
  return dir / rel;
}

Status run_fetch(const FetchOptions& o) {
  if (o.ecu_serials.size() != o.hardware_ids.size())
    return fail(Code::InvalidArgument,
                "--ecu-serial and --hardware-id come in pairs: {} serials, {} hardware IDs",
                o.ecu_serials.size(), o.hardware_ids.size());
  auto db = RATCHET_TRY(store::LmdbStore::open(o.storage_dir));
  std::optional<provisioning::DeviceAnchor> anchor;
  std::optional<store::AnchoredStore> anchored;
  if (o.anchor.given()) {
    anchor = RATCHET_TRY(o.anchor.open());
    anchored = RATCHET_TRY(store::AnchoredStore::open(db, anchor->anchor()));
  }
  const tuf::Seconds now = RATCHET_TRY(store::verifier_now(db));
  streaming::HttpOptions http;
  http.retries = 2;
  http.min_rate = o.min_rate;
  http.low_speed_time = std::chrono::seconds(o.low_speed_time);
  tuf::HttpFetcher director_fetcher(tuf::with_trailing_slash(o.director_url), http);
  tuf::HttpFetcher image_fetcher(tuf::with_trailing_slash(o.image_url), http);
  uptane::Refresh refresh(db, director_fetcher, image_fetcher,
                          {.now = now, .trust_first_root = !anchored});
  std::vector<uptane::Ecu> ecus;
  for (std::size_t i = 0; i < o.ecu_serials.size(); ++i)
    ecus.push_back({o.ecu_serials[i], o.hardware_ids[i]});
  const auto verified = RATCHET_TRY(refresh.run(ecus, {}));

  // The whole set verified: trust it, in one transaction, and move the time floor up.
  auto change = RATCHET_TRY(refresh.change());
  if (anchored) {
    RATCHET_TRY(anchored->commit(change));
  } else {
    change.puts.merge(change.riders);
    RATCHET_TRY(db.commit(change.puts));
  }

  tuf::HttpFetcher targets(tuf::with_trailing_slash(o.image_url) + "targets/", http);
  std::error_code ec;
  for (const auto& t : verified.targets) {
    const auto path = RATCHET_TRY(target_file(o.target_dir, t.name));
    std::filesystem::create_directories(path.parent_path(), ec);
    auto file = RATCHET_TRY(streaming::FileSink::create(path));
    streaming::DigestCheck check(*file, "target " + t.name, t.image.length, t.image.hashes);
    RATCHET_TRY(targets.fetch_into(refresh.image().target_path(t.name, t.image), check));
    RATCHET_TRY(check.finish());
    log::info("{}: verified {} ({} bytes) for ECU {}", o.target_dir, t.name, t.image.length,
              t.ecu_serial);
  }
  if (verified.targets.empty())
    log::info("nothing to do for ECU {}", fmt::join(o.ecu_serials, ", "));
  return {};
}

}  // namespace

Command add_fetch_command(CLI::App& parent) {
  auto o = std::make_shared<FetchOptions>();
  CLI::App* app = parent.add_subcommand(
      "fetch", "Verify both Uptane repositories and download this ECU's targets (no install)");
  app->add_option("--storage-dir", o->storage_dir, "trusted state (kept between runs)")->required();
  app->add_option("--director-url", o->director_url, "Director repository URL")->required();
  app->add_option("--image-url", o->image_url, "Image repository URL")->required();
  app->add_option("--ecu-serial", o->ecu_serials, "an ECU's serial (repeatable, one value each)")
      ->required()
      ->allow_extra_args(false);
  app->add_option("--hardware-id", o->hardware_ids, "that ECU's hardware ID (in the same order)")
      ->required()
      ->allow_extra_args(false);
  app->add_option("--target-dir", o->target_dir, "where verified targets are written")->required();
  app->add_option("--min-rate", o->min_rate, "slowest acceptable transfer, bytes/s")
      ->capture_default_str();
  app->add_option("--low-speed-time", o->low_speed_time,
                  "seconds below --min-rate before giving up")
      ->capture_default_str();
  add_anchor_options(*app, o->anchor);
  return {app, [o] {
            auto s = run_fetch(*o);
            if (!s) {
              (void)report_error(s.error());
              return 1;  // the fetch contract: 0 or 1
            }
            return 0;
          }};
}

}  // namespace ratchet::cli
