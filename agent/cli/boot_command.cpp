// `ratchet boot status|mark-good|mark-bad|set-next` (systemd bless-boot's and RAUC's words) and
// `ratchet confirm`, run after a trial boot before boot-complete.target: watchdog, health checks,
// then good (and the new image's floors advance) or bad (and a reboot into the old slot).
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "agent/cli/anchor_options.hpp"
#include "agent/cli/command.hpp"
#include "agent/cli/device_config.hpp"
#include "agent/cli/exit_code.hpp"
#include "agent/cli/reboot.hpp"
#include "agent/store/installed_images.hpp"
#include "agent/tuf/canonical_json.hpp"
#include "agent/update/failed_targets.hpp"
#include "bootctl/confirmation.hpp"
#include "bootctl/linux_watchdog.hpp"
#include "bootctl/process.hpp"
#include "common/log.hpp"
#if RATCHET_HAVE_UBOOTENV
#include "bootctl/uboot_env.hpp"
#endif

namespace ratchet::cli {
namespace {

// Empty until resolved: a flag, else the configuration, else the built-in default.
struct EnvOptions {
  DeviceConfigOption config;
  std::string fw_env_config;
  std::string env_defaults;
  std::string cmdline;
  bootctl::SlotDevices slots;  // the configuration's A/B ECU, if there is one

  // Fills what the flags left empty; returns the configuration when there is one.
  Result<std::optional<config::Config>> resolve() {
    auto c = RATCHET_TRY(config.load());
    const config::Config d = c ? *c : config::Config{};
    if (fw_env_config.empty()) fw_env_config = d.fw_env_config.string();
    if (env_defaults.empty()) env_defaults = d.env_defaults.string();
    if (cmdline.empty()) cmdline = d.cmdline.string();
    if (const auto* primary = d.primary()) slots = {primary->slot_a, primary->slot_b};
    return c;
  }
  [[nodiscard]] bootctl::BootControl control(bootctl::BootEnv& env) const {
    return {env, slots, bootctl::SystemView{.cmdline = cmdline}};
  }
};

void add_env_options(CLI::App& app, EnvOptions& o) {
  add_config_option(app, o.config);
  app.add_option("--fw-env-config", o.fw_env_config,
                 "libubootenv configuration (default: the config's, else /etc/fw_env.config)");
  app.add_option("--env-defaults", o.env_defaults,
                 "the board's default environment (name=value lines), used if it is blank");
  app.add_option("--cmdline", o.cmdline,
                 "the kernel command line, which says what runs (default: /proc/cmdline)");
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
  // The slot on trial is neither good nor bad yet: its boot decides.
  for (const auto slot : {bootctl::Slot::A, bootctl::Slot::B})
    slots[std::string(bootctl::slot_name(slot))] =
        s.trial && slot == s.next ? "trial" : bootctl::health_name(s.health_of(slot));
  tuf::Json j = {{"environment", st.env},    {"environment_valid", st.env_valid},
                 {"slots", slots},           {"next", bootctl::slot_name(s.next)},
                 {"trial", s.trial},         {"tries_left", s.trial ? s.tries_left() : 0},
                 {"bootcount", s.bootcount}, {"bootlimit", s.bootlimit},
                 {"both_bad", s.both_bad},   {"notes", s.notes}};
  j["booted"] = st.booted.slot ? bootctl::slot_name(*st.booted.slot) : "unknown";
  j["booted_by"] = st.booted.how;  // the method that found it, or why it is unknown
  if (!st.disagreement.empty()) j["disagreement"] = st.disagreement;
  if (s.trial) j["fallback"] = bootctl::slot_name(s.previous);
  return j;
}

int print_status(EnvOptions o, bool json) {
  if (auto c = o.resolve(); !c) return report_error(c.error());
  auto env = open_env(o);
  if (!env) return report_error(env.error());
  auto control = o.control(**env);
  auto st = control.status();
  if (!st) return report_error(st.error());
  const auto j = status_json(*st);
  if (json) {
    (void)std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  for (const auto& [key, value] : j.items()) {
    if (key == "booted_by") continue;
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (key == "booted") text += " (" + st->booted.how + ")";
    (void)std::printf("%-18s %s\n", (key + ":").c_str(), text.c_str());
  }
  return 0;
}

// Unset values come from the configuration's [boot] section, else the defaults below.
struct ConfirmCli {
  EnvOptions env;
  AnchorOptions anchor;
  std::string storage_dir;
  std::vector<std::string> checks;
  std::optional<unsigned> check_timeout;
  std::string watchdog;
  std::optional<unsigned> watchdog_timeout;
  bool no_reboot = false;
  std::string reboot_command_text;          // --reboot-command
  std::vector<std::string> reboot_command;  // it, split as the config string is, or the config's

  Status resolve() {
    const auto c = RATCHET_TRY(env.resolve());
    const config::Config d = c ? *c : config::Config{};
    if (checks.empty()) checks = d.health_checks;
    if (!check_timeout) check_timeout = d.check_timeout;
    if (watchdog.empty()) watchdog = d.watchdog.string();
    if (!watchdog_timeout) watchdog_timeout = d.watchdog_timeout;
    reboot_command =
        reboot_command_text.empty()
            ? d.reboot_command
            : RATCHET_TRY(bootctl::split_command(reboot_command_text, "--reboot-command"));
    if (c) fill_from(*c, storage_dir, &anchor);
    return {};
  }
};

int run_confirm(ConfirmCli o) {
  if (auto r = o.resolve(); !r) return report_error(r.error());
  auto env = open_env(o.env);
  if (!env) return report_error(env.error());
  auto control = o.env.control(**env);
  bootctl::ConfirmOptions options;
  for (const auto& c : o.checks)
    options.checks.push_back({c, std::chrono::seconds(*o.check_timeout)});
  options.watchdog_timeout = std::chrono::seconds(*o.watchdog_timeout);
  std::unique_ptr<bootctl::Watchdog> watchdog;
  if (!o.watchdog.empty()) watchdog = std::make_unique<bootctl::LinuxWatchdog>(o.watchdog);

  // The floors that belong to the new image move only once it is known good; a failed trial is
  // dropped and its target recorded as failed, so that no update run installs it again.
  std::optional<provisioning::DeviceAnchor> anchor;
  std::optional<store::LmdbStore> db;
  const auto settle = [&](const auto& verdict_of) -> Status {
    if (!o.anchor.given()) return {};
    if (!anchor) anchor = RATCHET_TRY(o.anchor.open());
    if (!db) db = RATCHET_TRY(store::LmdbStore::open(o.storage_dir));
    auto anchored = RATCHET_TRY(store::AnchoredStore::open(*db, anchor->anchor()));
    std::string when = RATCHET_TRY(update::failure_time(*db));
    const store::TrialVerdict verdict = RATCHET_TRY(verdict_of(std::move(when)));
    return store::settle_trials(anchored, verdict);
  };
  const auto on_good = [&](bootctl::Slot good) -> Status {
    return settle([&](std::string when) -> Result<store::TrialVerdict> {
      // As the environment now stands: `good` boots, a slot that fell back is bad.
      const auto st = RATCHET_TRY(control.status());
      auto verdict = update::boot_verdict(st.state, std::move(when));
      verdict.good = std::string(bootctl::slot_name(good));
      return verdict;
    });
  };
  if (o.anchor.given() && o.storage_dir.empty())
    return report_error(Error(Code::InvalidArgument, "--storage-dir is needed with an anchor"));
  auto r = bootctl::confirm_trial(control, watchdog.get(), options, on_good);
  if (!r) return report_error(r.error());
  if (r->outcome != bootctl::ConfirmOutcome::Bad) return 0;
  (void)report_error(*r->reason);
  const auto failed = settle([&](std::string when) -> Result<store::TrialVerdict> {
    return store::TrialVerdict{.good = std::nullopt,
                               .bad = std::string(bootctl::slot_name(r->slot)),
                               .why = r->reason->to_string(),
                               .when = std::move(when)};
  });
  if (!failed)  // the slot is marked bad: the next confirm or update records the fallback
    log::error("the failed trial was not recorded: {}", failed.error().to_string());
  if (o.no_reboot) return static_cast<int>(ExitCode::RebootNeeded);
  return cli::reboot(o.reboot_command, "the fallback slot");
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
  // `boot status --config C` as well as `boot --config C status`.
  for (CLI::App* verb : {status, good, bad, next})
    verb->fallthrough();
  return {app, [o, json, slot, status, good, bad, next]() -> int {
            if (status->parsed()) return print_status(*o, *json);
            if (auto c = o->resolve(); !c) return report_error(c.error());
            auto env = open_env(*o);
            if (!env) return report_error(env.error());
            auto control = o->control(**env);
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
  app->add_option("--check-timeout", o->check_timeout, "seconds each check may take (60)");
  app->add_option("--watchdog", o->watchdog, "watchdog device, e.g. /dev/watchdog");
  app->add_option("--watchdog-timeout", o->watchdog_timeout, "seconds (120)");
  app->add_flag("--no-reboot", o->no_reboot, "on failure, only mark bad (exit 10)");
  app->add_option("--reboot-command", o->reboot_command_text, "how to reboot (systemctl reboot)");
  app->add_option("--storage-dir", o->storage_dir, "trusted state (to advance image floors)");
  add_anchor_options(*app, o->anchor);
  return {app, [o] { return run_confirm(*o); }};
}

}  // namespace ratchet::cli
