// `ratchet boot status|mark-good|mark-bad|set-next` (systemd bless-boot's and RAUC's words) and
// `ratchet confirm`, run after a trial boot before boot-complete.target: watchdog, health checks,
// then good (and the new image's floors advance) or bad (and a reboot into the old slot).
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "agent/cli/anchor_options.hpp"
#include "agent/cli/command.hpp"
#include "agent/cli/exit_code.hpp"
#include "agent/store/installed_images.hpp"
#include "agent/tuf/canonical_json.hpp"
#include "bootctl/confirmation.hpp"
#include "bootctl/linux_watchdog.hpp"
#include "common/log.hpp"
#if RATCHET_HAVE_UBOOTENV
#include "bootctl/uboot_env.hpp"
#endif

namespace ratchet::cli {
namespace {

struct EnvOptions {
  std::string fw_env_config = "/etc/fw_env.config";
  std::string env_defaults;
  std::string cmdline = "/proc/cmdline";
};

void add_env_options(CLI::App& app, EnvOptions& o) {
  app.add_option("--fw-env-config", o.fw_env_config, "libubootenv configuration")
      ->capture_default_str();
  app.add_option("--env-defaults", o.env_defaults,
                 "the board's default environment (name=value lines), used if it is blank");
  app.add_option("--cmdline", o.cmdline, "kernel command line (ratchet.slot=a|b)")
      ->capture_default_str();
}

Result<std::unique_ptr<bootctl::BootEnv>> open_env(const EnvOptions& o) {
#if RATCHET_HAVE_UBOOTENV
  return std::unique_ptr<bootctl::BootEnv>(
      std::make_unique<bootctl::UbootEnv>(o.fw_env_config, o.env_defaults));
#else
  return fail(Code::Unsupported, "this build has no libubootenv ({})", o.fw_env_config);
#endif
}

tuf::Json status_json(const bootctl::BootStatus& st) {
  const auto& s = st.state;
  tuf::Json slots = tuf::Json::object();
  for (const auto slot : {bootctl::Slot::A, bootctl::Slot::B})
    slots[std::string(bootctl::slot_name(slot))] = bootctl::health_name(s.health_of(slot));
  tuf::Json j = {{"environment", st.env},    {"environment_valid", st.env_valid},
                 {"slots", slots},           {"next", bootctl::slot_name(s.next)},
                 {"trial", s.trial},         {"tries_left", s.trial ? s.tries_left() : 0},
                 {"bootcount", s.bootcount}, {"bootlimit", s.bootlimit},
                 {"both_bad", s.both_bad},   {"notes", s.notes}};
  j["booted"] = st.booted ? tuf::Json(bootctl::slot_name(*st.booted)) : tuf::Json(nullptr);
  if (s.trial) j["fallback"] = bootctl::slot_name(s.previous);
  return j;
}

int print_status(const EnvOptions& o, bool json) {
  auto env = open_env(o);
  if (!env) return report_error(env.error());
  bootctl::BootControl control(**env, o.cmdline);
  auto st = control.status();
  if (!st) return report_error(st.error());
  const auto j = status_json(*st);
  if (json) {
    (void)std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  for (const auto& [key, value] : j.items())
    (void)std::printf("%-18s %s\n", (key + ":").c_str(),
                      value.is_string() ? value.get<std::string>().c_str() : value.dump().c_str());
  return 0;
}

struct ConfirmCli {
  EnvOptions env;
  AnchorOptions anchor;
  std::string storage_dir;
  std::vector<std::string> checks;
  unsigned check_timeout = 60;
  std::string watchdog;
  unsigned watchdog_timeout = 120;
  bool no_reboot = false;
  std::string reboot_command = "systemctl reboot";
};

int run_confirm(const ConfirmCli& o) {
  auto env = open_env(o.env);
  if (!env) return report_error(env.error());
  bootctl::BootControl control(**env, o.env.cmdline);
  bootctl::ConfirmOptions options;
  for (const auto& c : o.checks)
    options.checks.push_back({c, std::chrono::seconds(o.check_timeout)});
  options.watchdog_timeout = std::chrono::seconds(o.watchdog_timeout);
  std::unique_ptr<bootctl::Watchdog> watchdog;
  if (!o.watchdog.empty()) watchdog = std::make_unique<bootctl::LinuxWatchdog>(o.watchdog);

  // The floors that belong to the new image move only once it is known good.
  std::optional<provisioning::DeviceAnchor> anchor;
  std::optional<store::LmdbStore> db;
  const auto on_good = [&](bootctl::Slot good) -> Status {
    if (!o.anchor.given()) return {};
    if (!anchor) anchor = RATCHET_TRY(o.anchor.open());
    if (!db) db = RATCHET_TRY(store::LmdbStore::open(o.storage_dir));
    auto anchored = RATCHET_TRY(store::AnchoredStore::open(*db, anchor->anchor()));
    return store::promote_trials(anchored, bootctl::slot_name(good));
  };
  if (o.anchor.given() && o.storage_dir.empty())
    return report_error(Error(Code::InvalidArgument, "--storage-dir is needed with an anchor"));
  auto r = bootctl::confirm_trial(control, watchdog.get(), options, on_good);
  if (!r) return report_error(r.error());
  if (r->outcome != bootctl::ConfirmOutcome::Bad) return 0;
  (void)report_error(*r->reason);
  if (o.no_reboot) return static_cast<int>(ExitCode::RebootNeeded);
  log::notice("rebooting into the fallback slot: {}", o.reboot_command);
  const int rc = std::system(o.reboot_command.c_str());  // NOLINT(cert-env33-c): configured
  return rc == 0 ? static_cast<int>(ExitCode::RebootNeeded) : static_cast<int>(ExitCode::Local);
}

}  // namespace

Command add_boot_command(CLI::App& parent) {
  auto o = std::make_shared<EnvOptions>();
  auto json = std::make_shared<bool>(false);
  auto slot = std::make_shared<std::string>();
  CLI::App* app = parent.add_subcommand("boot", "A/B slots in the U-Boot environment");
  app->require_subcommand(1);
  add_env_options(*app, *o);
  CLI::App* status = app->add_subcommand("status", "slots, next, trial state, tries left");
  status->add_flag("--json", *json, "JSON on stdout");
  CLI::App* good = app->add_subcommand("mark-good", "the slot booted on trial works");
  CLI::App* bad = app->add_subcommand("mark-bad", "the slot does not work: fall back");
  CLI::App* next = app->add_subcommand("set-next", "boot this slot next, on trial");
  next->add_option("slot", *slot, "a or b")->required()->check(CLI::IsMember({"a", "b"}));
  return {app, [o, json, slot, status, good, bad, next]() -> int {
            if (status->parsed()) return print_status(*o, *json);
            auto env = open_env(*o);
            if (!env) return report_error(env.error());
            bootctl::BootControl control(**env, o->cmdline);
            Status s;
            if (good->parsed()) s = control.mark_good();
            if (bad->parsed()) s = control.mark_bad();
            if (next->parsed()) s = control.set_next(*bootctl::parse_slot(*slot));
            return s ? 0 : report_error(s.error());
          }};
}

Command add_confirm_command(CLI::App& parent) {
  auto o = std::make_shared<ConfirmCli>();
  CLI::App* app = parent.add_subcommand(
      "confirm", "After a trial boot: health checks under the watchdog, then good or bad");
  add_env_options(*app, o->env);
  app->add_option("--check", o->checks, "a health check command (repeatable, in order)");
  app->add_option("--check-timeout", o->check_timeout, "seconds each check may take")
      ->capture_default_str();
  app->add_option("--watchdog", o->watchdog, "watchdog device, e.g. /dev/watchdog");
  app->add_option("--watchdog-timeout", o->watchdog_timeout, "seconds")->capture_default_str();
  app->add_flag("--no-reboot", o->no_reboot, "on failure, only mark bad (exit 10)");
  app->add_option("--reboot-command", o->reboot_command, "how to reboot")->capture_default_str();
  app->add_option("--storage-dir", o->storage_dir, "trusted state (to advance image floors)");
  add_anchor_options(*app, o->anchor);
  return {app, [o] { return run_confirm(*o); }};
}

}  // namespace ratchet::cli
