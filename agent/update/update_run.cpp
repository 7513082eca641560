#include "agent/update/update_run.hpp"

#include <cerrno>

#include <fcntl.h>
#include <sys/file.h>

#include "agent/provisioning/device_anchor.hpp"
#include "agent/provisioning/provisioning.hpp"
#include "agent/store/installed_images.hpp"
#include "agent/store/time_floor.hpp"
#include "agent/update/ecu_install.hpp"
#include "agent/update/failed_targets.hpp"
#include "agent/update/http_put.hpp"
#include "agent/update/manifest.hpp"
#include "agent/uptane/refresh.hpp"
#include "common/file.hpp"
#include "common/log.hpp"
#if RATCHET_HAVE_UBOOTENV
#include "bootctl/uboot_env.hpp"
#endif

namespace ratchet::update {
namespace {

// One run at a time: a second one (a timer firing during a long install) is Busy, exit 41.
Result<UniqueFd> take_lock(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  auto fd = RATCHET_TRY(open_file(dir / "ratchet.lock", O_RDWR | O_CREAT, 0600));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      return fail(Code::Busy, "another ratchet run holds {}", (dir / "ratchet.lock").string());
    return fail(errno_error(errno, (dir / "ratchet.lock").string()));
  }
  return fd;
}

std::string describe_error(const Error& e) {
  return fmt::format("{}: {}", code_name(e.code()), e.message());
}

Status send_manifest(const Sources& sources, const std::string& manifest) {
  if (sources.manifest_url.empty()) return {};
  auto sent = http_put_json(sources.manifest_url, manifest, sources.http);
  if (!sent)
    log::warning("the manifest was not delivered ({}); the next run sends it again",
                 sent.error().message());
  return {};
}

ManifestInput manifest_input(const config::Config& config, std::uint64_t generation) {
  ManifestInput m;
  m.device_id = config.device_id;
  m.primary_serial = config.ecus.front().serial;
  m.provisioning_generation = generation;
  for (const auto& e : config.ecus)
    m.ecu_serials.push_back(e.serial);
  return m;
}

}  // namespace

Result<BootSide> open_boot(const config::Config& config) {
  BootSide boot;
  if (config.primary() == nullptr) return boot;
#if RATCHET_HAVE_UBOOTENV
  boot.env = std::make_unique<bootctl::UbootEnv>(config.fw_env_config, config.env_defaults);
  boot.control.emplace(*boot.env,
                       bootctl::SlotDevices{config.primary()->slot_a, config.primary()->slot_b},
                       bootctl::SystemView{.cmdline = config.cmdline});
#else
  return fail(Code::Unsupported, "an ab-rootfs ECU needs a build with libubootenv");
#endif
  boot.status = RATCHET_TRY(boot.control->status());
  // A blank or corrupt environment with no defaults to restore it from could never hold a
  // trial: refused now, before anything is downloaded, naming what to set.
  if (!boot.status->env_valid && config.env_defaults.empty())
    return fail(Code::BootEnv,
                "the U-Boot environment ({}) is blank or corrupt and no defaults are "
                "configured: set [boot] env_defaults to the board's default environment (e.g. "
                "/etc/u-boot-initial-env), or write the environment once with fw_setenv",
                config.fw_env_config.string());
  return boot;
}

Result<provisioning::DeviceAnchor> open_device_anchor(const config::Config& c) {
  provisioning::AnchorConfig a;
  a.tcti = c.tcti;
  a.anchor_dir = c.anchor_dir;
  a.owner_auth_file = c.owner_auth_file;
  return provisioning::open_anchor(a);
}

std::string manifest_url(const config::Config& config) {
  return tuf::with_trailing_slash(config.director_url) + "manifest";
}

Result<std::string> signed_manifest(const config::Config& config) {
  auto anchor = RATCHET_TRY(open_device_anchor(config));
  auto db = RATCHET_TRY(store::LmdbStore::open(config.storage_dir));
  const auto anchored = RATCHET_TRY(store::AnchoredStore::open(db, anchor.anchor()));
  ManifestInput manifest = manifest_input(config, anchored.generation());
  RATCHET_TRY(load_run_report(db, manifest));
  return build_manifest(db, manifest, *anchor.signing_key);
}

Result<RunReport> run_update(const config::Config& config, Sources& sources,
                             const RunOptions& options) {
  RATCHET_TRY(config::check_slots(config));  // a typo'd slot is never created, nothing fetched
  const auto lock = RATCHET_TRY(take_lock(config.storage_dir));
  // First, before anything needs space: what a killed or failed run left.
  RATCHET_TRY(remove_leftovers(config));
  auto anchor = RATCHET_TRY(open_device_anchor(config));
  auto db = RATCHET_TRY(store::LmdbStore::open(config.storage_dir));
  auto anchored = RATCHET_TRY(store::AnchoredStore::open(db, anchor.anchor()));
  const tuf::Seconds now = RATCHET_TRY(store::verifier_now(db));

  auto boot = RATCHET_TRY(open_boot(config));
  std::optional<bootctl::BootControl>& control = boot.control;
  if (boot.status) {
    // A trial that the environment has settled since the last run (the bootloader fell back, or
    // a confirmation that kept no store) is settled here too: a failed one is recorded and
    // dropped, never installed again by this run.
    const auto& st = *boot.status;
    const std::string when = RATCHET_TRY(failure_time(db));
    RATCHET_TRY(store::settle_trials(anchored, boot_verdict(st.state, when)));
  }

  std::vector<uptane::Ecu> ecus;
  std::map<std::string, std::uint64_t> counters;
  ManifestInput manifest = manifest_input(config, anchored.generation());
  for (const auto& e : config.ecus) {
    ecus.push_back({e.serial, e.hardware_id});
    if (auto installed = RATCHET_TRY(store::installed_image(db, e.serial)))
      counters[e.serial] = installed->release_counter;
  }

  uptane::Refresh refresh(db, *sources.director, *sources.image, {.now = now});
  auto verified = refresh.run(ecus, counters);
  if (!verified) {
    // Report what was refused (the backend wants to know), then fail with it.
    const Error error = std::move(verified).error();
    if (error.kind() == ErrorKind::Security) {
      manifest.attacks_detected = describe_error(error);
      if (auto saved = save_run_report(db, manifest); !saved)
        log::warning("the run report was not stored: {}", saved.error().message());
      if (auto m = build_manifest(db, manifest, *anchor.signing_key))
        RATCHET_TRY(send_manifest(sources, *m));
    }
    return fail(error);
  }
  // Metadata floors move as soon as the whole set verified; image floors only after a good boot.
  // A run that verified nothing new commits nothing (no NV write).
  const auto change = RATCHET_TRY(refresh.change());
  RATCHET_TRY(anchored.commit(change));

  RunReport report;
  std::optional<Error> first_failure;
  EcuInstaller installer(config, db, anchored, refresh.image(), *sources.targets, sources.target,
                         control ? &*control : nullptr);
  for (const auto& t : verified->targets) {
    const auto* ecu = &config.ecus.front();
    for (const auto& e : config.ecus)
      if (e.serial == t.ecu_serial) ecu = &e;
    auto progress = [&](const streaming::InstallProgress& p) {
      if (options.on_progress) options.on_progress(ecu->serial, p);
    };
    if (auto failed = RATCHET_TRY(
            failed_before(anchored, ecu->serial, t, config.max_image_size, options.retry_failed))) {
      log::notice(
          "ECU {}: target {} failed on {}: {}; not retried until the Director assigns another "
          "target or --retry-failed",
          ecu->serial, t.name, failed->failed_at, failed->reason);
      report.not_retried.push_back(ecu->serial + ": " + t.name);
      continue;
    }
    auto result = installer.install(*ecu, t, progress);
    if (!result) {
      if (auto recorded =
              record_refusal(anchored, ecu->serial, t, config.max_image_size, result.error());
          !recorded)
        log::error("ECU {}: the failed target was not recorded: {}", ecu->serial,
                   recorded.error().message());
      // Every ECU failure names its ECU here, once, for the log, the manifest and the exit.
      result.error().context("ECU " + ecu->serial);
      log::error("{}", result.error().message());
      manifest.results[ecu->serial] = describe_error(result.error());
      if (!first_failure) first_failure = std::move(result).error();
      continue;
    }
    manifest.results[ecu->serial] = "";
    if (*result == EcuResult::UpToDate) continue;
    report.installed.push_back(ecu->serial + ": " + t.name);
    if (*result == EcuResult::TrialArmed)
      report.outcome = Outcome::RebootNeeded;
    else if (report.outcome == Outcome::NothingToDo)
      report.outcome = Outcome::Installed;
  }

  RATCHET_TRY(save_run_report(db, manifest));
  report.manifest = RATCHET_TRY(build_manifest(db, manifest, *anchor.signing_key));
  RATCHET_TRY(send_manifest(sources, report.manifest));
  if (first_failure) return fail(std::move(*first_failure));
  if (report.outcome == Outcome::NothingToDo) log::info("nothing to do");
  return report;
}

}  // namespace ratchet::update
