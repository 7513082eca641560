// `ratchet update` (the one-shot run a systemd timer or cron starts), `ratchet install BUNDLE`
// (a USB stick: the same verification, floors and commit, offline) and `ratchet manifest`.
// Exit codes (agent/cli/exit_code.hpp): 0 nothing to do or installed, 10 installed and a reboot
// is needed, 20 transient (retry later), 30 rejected by verification, 40 local failure,
// 41 another run holds the lock.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "agent/bundle/bundle_sources.hpp"
#include "agent/cli/command.hpp"
#include "agent/cli/exit_code.hpp"
#include "agent/cli/progress.hpp"
#include "agent/cli/reboot.hpp"
#include "agent/config/config.hpp"
#include "agent/tuf/canonical_json.hpp"
#include "agent/update/http_put.hpp"
#include "agent/update/update_run.hpp"
#include "common/log.hpp"
#include "streaming/file_source.hpp"

namespace ratchet::cli {
namespace {

struct UpdateOptions {
  std::string config = std::string(config::kDefaultPath);
  std::string bundle;
  bool reboot = false;
  bool json = false;
  bool retry_failed = false;
};

streaming::HttpOptions http_options(const config::Config& c) {
  streaming::HttpOptions h;
  h.ca_file = c.ca_file;
  h.client_cert = c.client_cert;
  h.client_key = c.client_key;
  h.min_rate = c.min_rate;
  h.low_speed_time = std::chrono::seconds(c.low_speed_time);
  h.connect_timeout = std::chrono::seconds(c.connect_timeout);
  h.retries = c.retries;
  return h;
}

int finish(const update::RunReport& report, const config::Config& c, bool reboot, bool json) {
  if (json)
    (void)std::printf(
        "%s\n",
        tuf::Json{{"outcome", report.outcome == update::Outcome::NothingToDo ? "nothing-to-do"
                              : report.outcome == update::Outcome::Installed ? "installed"
                                                                             : "reboot-needed"},
                  {"installed", report.installed},
                  {"not_retried", report.not_retried}}
            .dump()
            .c_str());
  for (const auto& i : report.installed)
    log::notice("installed {}", i);
  if (report.outcome != update::Outcome::RebootNeeded) return 0;
  if (reboot) return cli::reboot(c.reboot_command, "the new slot");
  return static_cast<int>(ExitCode::RebootNeeded);
}

int run(const UpdateOptions& o) {
  auto c = config::load_config(o.config);
  if (!c) return report_error(c.error());
  const auto http = http_options(*c);
  std::unique_ptr<tuf::Fetcher> director, image, targets;
  update::Sources sources;
  sources.http = http;
  if (o.bundle.empty()) {
    const std::string image_url = tuf::with_trailing_slash(c->image_url);
    director = std::make_unique<tuf::HttpFetcher>(tuf::with_trailing_slash(c->director_url), http);
    image = std::make_unique<tuf::HttpFetcher>(image_url, http);
    targets = std::make_unique<tuf::HttpFetcher>(image_url + "targets/", http);
    sources.target = [image_url, http](const std::string& path) {
      return std::unique_ptr<streaming::Source>(
          std::make_unique<streaming::HttpSource>(image_url + "targets/" + path, http));
    };
    sources.manifest_url = update::manifest_url(*c);
  } else {
    auto bundle = bundle::open_bundle(o.bundle, {.max_entry_bytes = c->max_image_size});
    if (!bundle) return report_error(bundle.error());
    director = std::move(bundle->director);
    image = std::move(bundle->image);
    targets = std::move(bundle->targets);
    sources.target = std::move(bundle->target);
  }
  sources.director = director.get();
  sources.image = image.get();
  sources.targets = targets.get();

  std::map<std::string, std::unique_ptr<ProgressPrinter>> printers;
  update::RunOptions options;
  options.retry_failed = o.retry_failed;
  options.on_progress = [&](const std::string& ecu, const streaming::InstallProgress& p) {
    auto& printer = printers[ecu];
    if (!printer) printer = std::make_unique<ProgressPrinter>("install " + ecu, o.json);
    printer->update(p.image_bytes, p.image_total, p.payload_bytes, p.seconds, p.done);
  };
  auto report = update::run_update(*c, sources, options);
  if (!report) return report_error(report.error());
  return finish(*report, *c, o.reboot, o.json);
}

struct ManifestOptions {
  std::string config = std::string(config::kDefaultPath);
  bool send = false;
};

// Prints the signed manifest; with --send also delivers it to the Director (after a run whose
// delivery failed, or when the backend asks for a fresh report).
int run_manifest(const ManifestOptions& o) {
  auto c = config::load_config(o.config);
  if (!c) return report_error(c.error());
  auto manifest = update::signed_manifest(*c);
  if (!manifest) return report_error(manifest.error());
  (void)std::printf("%s\n", manifest->c_str());
  if (!o.send) return 0;
  auto sent = update::http_put_json(update::manifest_url(*c), *manifest, http_options(*c));
  return sent ? 0 : report_error(sent.error());
}

void add_retry_failed_flag(CLI::App& app, UpdateOptions& o) {
  app.add_flag("--retry-failed", o.retry_failed,
               "install a target even if it failed on its ECU before (its trial, or a refusal)");
}

}  // namespace

Command add_manifest_command(CLI::App& parent) {
  auto o = std::make_shared<ManifestOptions>();
  CLI::App* app = parent.add_subcommand(
      "manifest", "The signed ECU version manifest: installed images, floors, last results");
  app->add_option("--config", o->config, "configuration file")->capture_default_str();
  app->add_flag("--send", o->send, "also send it to the Director (PUT .../manifest)");
  return {app, [o] { return run_manifest(*o); }};
}

Command add_update_command(CLI::App& parent) {
  auto o = std::make_shared<UpdateOptions>();
  CLI::App* app = parent.add_subcommand(
      "update", "One update run: verify both repositories, install, arm the trial boot");
  app->add_option("--config", o->config, "configuration file")->capture_default_str();
  app->add_flag("--reboot", o->reboot, "reboot when an installed update needs it");
  app->add_flag("--json", o->json, "progress and the result as JSON lines");
  add_retry_failed_flag(*app, *o);
  return {app, [o] { return run(*o); }};
}

Command add_install_command(CLI::App& parent) {
  auto o = std::make_shared<UpdateOptions>();
  CLI::App* app = parent.add_subcommand(
      "install", "Offline update from a bundle (USB stick): the same verification as online");
  app->add_option(
         "bundle", o->bundle,
         "bundle: a directory (director/ and image/) or an archive (.tar, .tar.zst, .tar.gz)")
      ->required();
  app->add_option("--config", o->config, "configuration file")->capture_default_str();
  app->add_flag("--reboot", o->reboot, "reboot when an installed update needs it");
  app->add_flag("--json", o->json, "progress and the result as JSON lines");
  add_retry_failed_flag(*app, *o);
  return {app, [o] { return run(*o); }};
}

}  // namespace ratchet::cli
