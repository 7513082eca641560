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
#include "agent/update/dry_run.hpp"
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
  bool dry_run = false;
};

// With --json, every run ends with one outcome line, a failed one too.
int failed(const Error& error, bool json) {
  const int code = report_error(error);
  if (json)
    (void)std::printf("%s\n", tuf::Json{{"outcome", "failed"},
                                        {"code", code_name(error.code())},
                                        {"message", error.message()},
                                        {"exit_code", code}}
                                  .dump()
                                  .c_str());
  return code;
}

// What the run would do, from the whole verification against this device's state; exit 0 when
// the device would accept it, else the exit code the real run would end with.
int print_dry_run(const update::DryRunReport& r, const bundle::BundleIndex* index, bool json) {
  tuf::Json targets = tuf::Json::array();
  std::size_t installs = 0;
  for (const auto& t : r.targets) {
    installs += t.would_install ? 1 : 0;
    targets.push_back({{"ecu", t.ecu_serial},
                       {"name", t.name},
                       {"format", t.format},
                       {"image_length", t.image_length},
                       {"payload_length", t.payload_length},
                       {"release_counter", t.release_counter},
                       {"security_version", t.security_version},
                       {"would_install", t.would_install},
                       {"verdict", t.verdict}});
  }
  const std::string outcome = r.refusal      ? "refused"
                              : installs > 0 ? "would-install"
                                             : "nothing-to-do";
  const int code = r.refusal ? static_cast<int>(exit_code_for(*r.refusal)) : 0;
  if (json) {
    tuf::Json out{{"outcome", outcome},
                  {"exit_code", code},
                  {"targets", targets},
                  {"director_targets_version", r.director_targets_version}};
    if (index != nullptr)
      out["bundle"] = {{"path", index->archive.string()},
                       {"format", index->format},
                       {"compression", index->compression},
                       {"entries", index->entries.size()}};
    if (r.refusal)
      out["error"] = {{"code", code_name(r.refusal->code())}, {"message", r.refusal->message()}};
    (void)std::printf("%s\n", out.dump().c_str());
    return code;
  }
  if (index != nullptr)
    (void)std::printf("bundle %s: %s, compression %s, %zu entries\n", index->archive.c_str(),
                      index->format.c_str(), index->compression.c_str(), index->entries.size());
  if (r.refusal) {
    (void)std::printf(
        "refused: %s: %s\nthis device would not accept it (exit %d); nothing was "
        "changed\n",
        std::string(code_name(r.refusal->code())).c_str(), r.refusal->message().c_str(), code);
    return code;
  }
  (void)std::printf("Director targets v%llu\n",
                    static_cast<unsigned long long>(r.director_targets_version));
  for (const auto& t : r.targets)
    (void)std::printf(
        "ECU %s: %s (%s, image %llu bytes, payload %llu bytes, release counter "
        "%llu, security version %llu): %s\n",
        t.ecu_serial.c_str(), t.name.c_str(), t.format.c_str(),
        static_cast<unsigned long long>(t.image_length),
        static_cast<unsigned long long>(t.payload_length),
        static_cast<unsigned long long>(t.release_counter),
        static_cast<unsigned long long>(t.security_version), t.verdict.c_str());
  (void)std::printf(
      "this device would accept it: %zu of %zu targets to install; nothing was "
      "changed\n",
      installs, r.targets.size());
  return 0;
}

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
  if (!c) return failed(c.error(), o.json);
  const auto http = http_options(*c);
  std::unique_ptr<tuf::Fetcher> director, image, targets;
  std::shared_ptr<const bundle::BundleIndex> index;
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
    if (!bundle) return failed(bundle.error(), o.json);
    index = bundle->index;
    director = std::move(bundle->director);
    image = std::move(bundle->image);
    targets = std::move(bundle->targets);
    sources.target = std::move(bundle->target);
  }
  sources.director = director.get();
  sources.image = image.get();
  sources.targets = targets.get();
  if (o.dry_run) {
    auto plan = update::dry_run(*c, sources);
    if (!plan) return failed(plan.error(), o.json);
    return print_dry_run(*plan, index.get(), o.json);
  }

  std::map<std::string, std::unique_ptr<ProgressPrinter>> printers;
  update::RunOptions options;
  options.retry_failed = o.retry_failed;
  options.on_progress = [&](const std::string& ecu, const streaming::InstallProgress& p) {
    auto& printer = printers[ecu];
    if (!printer) printer = std::make_unique<ProgressPrinter>("install " + ecu, o.json);
    printer->update(p.image_bytes, p.image_total, p.payload_bytes, p.seconds, p.done);
  };
  auto report = update::run_update(*c, sources, options);
  if (!report) return failed(report.error(), o.json);
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
  app.add_flag("--dry-run", o.dry_run,
               "verify everything and say what would be installed; change nothing");
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
