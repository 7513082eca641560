// ratchet-repo: the operator's tool. Keeps an Image repository and one Director repository per
// device in a directory (REPO, see repo/operator_repo.hpp), builds payloads and chunk
// lists, assigns targets, rotates keys, writes USB bundles, serves REPO over HTTP and signs
// provisioning records:
//   ratchet-repo init REPO [--key-type ed25519|ecdsa|rsa] [--expires-days 365]
//                [--director-dialect tuf|aktualizr]
//   ratchet-repo add-target REPO --image FILE --name NAME --hardware-id HW [--hardware-id HW2]
//                --release-counter N [--security-version N] [--format raw|zstd|delta]
//                [--delta-base NAME] [--chunk-size BYTES] [--role ROLE]
//   ratchet-repo assign REPO --device ID --ecu SERIAL --hardware-id HW --target NAME [--ecu ...]
//   ratchet-repo rotate-key REPO (--image | --device ID) --role root|timestamp|snapshot|targets
//   ratchet-repo delegate REPO --role NAME --paths PATTERN [--paths ...]
//   ratchet-repo info BUNDLE|REPO [--json]
//   ratchet-repo bundle REPO --device ID --out PATH[.tar] [--target NAME [--ecu S --hardware-id
//   HW]]... ratchet-repo enroll REPO --enrollment F       (the JSON `ratchet provision` printed)
//   ratchet-repo serve REPO [--bind 127.0.0.1] [--port 0] [--port-file F] [--fault MODE]
//                [--max-connections 64] [--idle-timeout 30] [--request-timeout 60]
//   ratchet-repo provisioning-record --key KEY.pem --device ID --generation N --director-root F
//                --image-root F [--security-version N] --out F
//   ratchet-repo provisioning-keygen --out-private K.pem --out-keys keys.json
// Failures print `error: <Code>: <message>` and exit with agent/cli/exit_code.hpp's codes.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <pthread.h>

#include "agent/cli/exit_code.hpp"
#include "common/file.hpp"
#include "common/log.hpp"
#include "repo/bundle.hpp"
#include "repo/device_keys.hpp"
#include "repo/info.hpp"
#include "repo/provisioning_files.hpp"
#include "repo/repo_commands.hpp"
#include "repo/repo_server.hpp"

namespace {

using namespace ratchet;

int report(const Error& e) {
  (void)std::fprintf(stderr, "error: %s\n", e.to_string().c_str());
  return static_cast<int>(cli::exit_code_for(e));
}

int done(const Status& s) {
  return s ? 0 : report(s.error());
}

struct Options {
  std::string repo, image, name, format = "raw", delta_base, role = "targets", key_type = "ed25519",
                                 director_dialect = "tuf";
  std::vector<std::string> hardware_ids, ecus, targets, paths;
  std::uint64_t release_counter = 0, security_version = 0, generation = 0;
  std::uint32_t chunk_size = 1u << 20;
  std::int64_t expires_days = 365;
  std::string device, out, bind = "127.0.0.1", port_file, fault = "none";
  std::uint16_t port = 0;
  bool image_repo = false;
  bool json = false;
  std::string key, director_root, image_root, out_private, out_keys, enrollment;
  std::size_t max_connections = 64;
  double idle_timeout = 30, request_timeout = 60;
};

Result<std::chrono::milliseconds> seconds_option(double seconds, std::string_view name) {
  if (!(seconds >= 0) || seconds > 86400)
    return fail(Code::InvalidArgument, "{} must be between 0 and 86400 seconds", name);
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

Status run_add_target(const Options& o) {
  repo::AddTargetRequest r;
  r.image = o.image;
  r.name = o.name;
  r.hardware_ids = o.hardware_ids;
  r.release_counter = o.release_counter;
  r.security_version = o.security_version;
  r.format = RATCHET_TRY(streaming::parse_format(o.format));
  r.delta_base = o.delta_base;
  r.chunk_size = o.chunk_size;
  r.role = o.role;
  RATCHET_TRY(repo::add_target(o.repo, r));
  (void)std::printf(
      "added target %s (%s, release counter %llu, security version %llu) and %s.chunks "
      "to the Image repository\n",
      o.name.c_str(), o.format.c_str(), static_cast<unsigned long long>(o.release_counter),
      static_cast<unsigned long long>(o.security_version), o.name.c_str());
  return {};
}

// --ecu, --hardware-id and --target, once for each ECU.
Result<std::vector<repo::Assignment>> ecu_assignments(const Options& o) {
  if (o.ecus.size() != o.hardware_ids.size() || o.ecus.size() != o.targets.size())
    return fail(Code::InvalidArgument,
                "give --ecu, --hardware-id and --target once for each ECU ({}, {} and {} given)",
                o.ecus.size(), o.hardware_ids.size(), o.targets.size());
  std::vector<repo::Assignment> a;
  for (std::size_t i = 0; i < o.ecus.size(); ++i)
    a.push_back({o.ecus[i], o.hardware_ids[i], o.targets[i]});
  return a;
}

Status run_assign(const Options& o) {
  const auto a = RATCHET_TRY(ecu_assignments(o));
  RATCHET_TRY(repo::assign(o.repo, o.device, a));
  std::string what;
  for (const auto& x : a)
    what += fmt::format("{}{} -> {}", what.empty() ? "" : ", ", x.ecu_serial, x.target);
  (void)std::printf("assigned on device %s: %s (published)\n", o.device.c_str(), what.c_str());
  return {};
}

// Without --target: the device's online assignment. With --target (and --ecu/--hardware-id, or
// the ECUs its Director knows): Director targets signed for this bundle alone.
Status run_bundle(const Options& o) {
  std::vector<repo::Assignment> a;
  if (!o.ecus.empty() || !o.hardware_ids.empty()) {
    a = RATCHET_TRY(ecu_assignments(o));
  } else if (!o.targets.empty()) {
    auto repo = RATCHET_TRY(repo::OperatorRepo::open(o.repo));
    a = RATCHET_TRY(repo::assignments_for(repo, o.device, o.targets));
  }
  const auto s = RATCHET_TRY(repo::write_bundle(o.repo, o.device, o.out, a));
  std::string names;
  for (const auto& t : s.targets)
    names += fmt::format("{}{}", names.empty() ? "" : ", ", t);
  (void)std::printf(
      "bundle %s for device %s: %zu files, %.1f MiB; Director targets v%llu (%s): %s\n",
      o.out.c_str(), o.device.c_str(), s.files, static_cast<double>(s.bytes) / (1 << 20),
      static_cast<unsigned long long>(s.director_version),
      s.own_director_targets ? "signed for this bundle; the online Director is unchanged"
                             : "the online assignment",
      names.empty() ? "(nothing assigned)" : names.c_str());
  return {};
}

Status run_rotate_key(const Options& o) {
  if (o.image_repo == !o.device.empty())
    return fail(Code::InvalidArgument, "give exactly one of --image and --device");
  return repo::rotate_key(o.repo, o.image_repo ? std::nullopt : std::optional(o.device), o.role);
}

// Serves until SIGTERM or SIGINT. The signals are blocked before any thread starts, so every
// thread inherits the mask and sigwait() here is the only place they arrive.
Status run_serve(const Options& o) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  if (::pthread_sigmask(SIG_BLOCK, &stop, nullptr) != 0)
    return fail(Code::Internal, "pthread_sigmask failed");
  repo::ServeOptions so;
  so.root = o.repo;
  so.bind = o.bind;
  so.port = o.port;
  so.fault = RATCHET_TRY(repo::parse_serve_fault(o.fault));
  so.max_connections = o.max_connections;
  so.idle_timeout = RATCHET_TRY(seconds_option(o.idle_timeout, "--idle-timeout"));
  so.request_timeout = RATCHET_TRY(seconds_option(o.request_timeout, "--request-timeout"));
  auto server = RATCHET_TRY(repo::start_repo_server(so));
  if (!o.port_file.empty())
    RATCHET_TRY(write_file_atomic(o.port_file, std::to_string(server->port()) + "\n"));
  (void)std::printf("listening on %s\n", server->base_url().c_str());
  (void)std::fflush(stdout);
  int sig = 0;
  while (::sigwait(&stop, &sig) != 0) {
  }
  log::info("signal {}: stopping", sig);
  server.reset();
  return {};
}

Status run_record(const Options& o) {
  return repo::write_provisioning_record({.key = o.key,
                                          .device_id = o.device,
                                          .generation = o.generation,
                                          .director_root = o.director_root,
                                          .image_root = o.image_root,
                                          .security_version = o.security_version,
                                          .out = o.out});
}

struct Sub {
  CLI::App* app;
  std::function<Status()> run;
};

std::vector<Sub> add_commands(CLI::App& app, Options& o) {
  std::vector<Sub> subs;
  const auto repo_arg = [&](CLI::App* c) {
    c->add_option("REPO", o.repo, "the repository directory")->required();
  };

  auto* init = app.add_subcommand("init", "Create REPO: Image repository keys, root v1, publish");
  repo_arg(init);
  init->add_option("--key-type", o.key_type, "ed25519, ecdsa or rsa")->capture_default_str();
  init->add_option("--expires-days", o.expires_days, "metadata lifetime")->capture_default_str();
  init->add_option("--director-dialect", o.director_dialect,
                   "how Directors write metadata: tuf, or aktualizr (OTA Community Edition)")
      ->capture_default_str();
  subs.push_back(
      {init, [&o]() -> Status {
         const auto type = RATCHET_TRY(repo::parse_key_type(o.key_type));
         const auto dialect = RATCHET_TRY(tuf::parse_dialect(o.director_dialect));
         (void)RATCHET_TRY(repo::OperatorRepo::init(o.repo, {type, o.expires_days, dialect}));
         (void)std::printf(
             "initialised %s: Image repository root v1 (%s keys), Directors in the %s "
             "dialect; provision devices with --director-root %s/director-root.json "
             "--image-root %s/image/1.root.json\n",
             o.repo.c_str(), o.key_type.c_str(), o.director_dialect.c_str(), o.repo.c_str(),
             o.repo.c_str());
         return {};
       }});

  auto* add = app.add_subcommand("add-target", "Add an image as a payload and its chunk list");
  repo_arg(add);
  add->add_option("--image", o.image, "the image as it lands in the slot")->required();
  add->add_option("--name", o.name, "target name")->required();
  add->add_option("--hardware-id", o.hardware_ids, "hardware it is for (repeatable)")->required();
  add->add_option("--release-counter", o.release_counter, "custom.releaseCounter")->required();
  add->add_option("--security-version", o.security_version, "custom.ratchet.securityVersion")
      ->capture_default_str();
  add->add_option("--format", o.format, "raw, zstd or delta")->capture_default_str();
  add->add_option("--delta-base", o.delta_base, "delta: the target it is made against");
  add->add_option("--chunk-size", o.chunk_size, "bytes per verified chunk")->capture_default_str();
  add->add_option("--role", o.role, "a delegated role to list it in")->capture_default_str();
  subs.push_back({add, [&o] { return run_add_target(o); }});

  auto* assign = app.add_subcommand("assign", "Set a device's Director targets");
  repo_arg(assign);
  assign->add_option("--device", o.device, "device ID")->required();
  assign->add_option("--ecu", o.ecus, "ECU serial (repeatable)")->required();
  assign->add_option("--hardware-id", o.hardware_ids, "its hardware ID (one per --ecu)")
      ->required();
  assign->add_option("--target", o.targets, "its target (one per --ecu)")->required();
  subs.push_back({assign, [&o] { return run_assign(o); }});

  auto* rotate = app.add_subcommand("rotate-key", "New key for a role; new root version");
  repo_arg(rotate);
  rotate->add_flag("--image", o.image_repo, "the Image repository");
  rotate->add_option("--device", o.device, "a device's Director repository");
  rotate->add_option("--role", o.role, "root, timestamp, snapshot or targets")->required();
  subs.push_back({rotate, [&o] { return run_rotate_key(o); }});

  auto* del = app.add_subcommand("delegate", "A delegated targets role in the Image repository");
  repo_arg(del);
  del->add_option("--role", o.role, "role name")->required();
  del->add_option("--paths", o.paths, "target path pattern (repeatable)")->required();
  subs.push_back({del, [&o] { return repo::delegate(o.repo, o.role, o.paths); }});

  auto* bundle = app.add_subcommand("bundle", "A USB bundle for one device (a directory or .tar)");
  repo_arg(bundle);
  bundle->add_option("--device", o.device, "device ID")->required();
  bundle->add_option("--out", o.out, "bundle directory, or PATH.tar")->required();
  bundle->add_option("--target", o.targets,
                     "bundle this target instead of the online assignment (repeatable)");
  bundle->add_option("--ecu", o.ecus, "with --target: the ECU it is for (one per --target)");
  bundle->add_option("--hardware-id", o.hardware_ids, "with --ecu: its hardware ID");
  subs.push_back({bundle, [&o] { return run_bundle(o); }});

  auto* info = app.add_subcommand("info", "What a bundle or a repository holds (not verified)");
  info->add_option("PATH", o.repo, "a bundle (directory or archive) or a repository")->required();
  info->add_flag("--json", o.json, "as one JSON object");
  subs.push_back({info, [&o]() -> Status {
                    const auto d = RATCHET_TRY(repo::describe(o.repo));
                    const std::string text = o.json ? d.dump(2) + "\n" : repo::describe_text(d);
                    (void)std::fputs(text.c_str(), stdout);
                    return {};
                  }});

  auto* enroll = app.add_subcommand("enroll", "Record a device's ECU key (manifests must verify)");
  repo_arg(enroll);
  enroll->add_option("--enrollment", o.enrollment, "the JSON `ratchet provision` printed")
      ->required();
  subs.push_back({enroll, [&o] { return repo::enroll_device(o.repo, o.enrollment); }});

  auto* serve = app.add_subcommand("serve", "Serve REPO over HTTP until SIGTERM/SIGINT");
  repo_arg(serve);
  serve->add_option("--bind", o.bind, "address to listen on")->capture_default_str();
  serve->add_option("--port", o.port, "port (0: the kernel picks)")->capture_default_str();
  serve->add_option("--port-file", o.port_file, "write the bound port here");
  serve->add_option("--fault", o.fault, "none, slow, endless, wrong-length, replay or drop")
      ->capture_default_str();
  serve
      ->add_option("--max-connections", o.max_connections,
                   "connections served at once (0: unbounded)")
      ->capture_default_str();
  serve
      ->add_option("--idle-timeout", o.idle_timeout,
                   "seconds for a request header to arrive, or a client to take response bytes")
      ->capture_default_str();
  serve->add_option("--request-timeout", o.request_timeout, "seconds for a request body")
      ->capture_default_str();
  subs.push_back({serve, [&o] { return run_serve(o); }});

  auto* record = app.add_subcommand("provisioning-record", "Sign a provisioning record");
  record->add_option("--key", o.key, "provisioning private key (PEM)")->required();
  record->add_option("--device", o.device, "device ID")->required();
  record->add_option("--generation", o.generation, "the device's provisioning generation")
      ->required();
  record->add_option("--director-root", o.director_root, "Director root metadata")->required();
  record->add_option("--image-root", o.image_root, "Image root metadata")->required();
  record->add_option("--security-version", o.security_version, "security version floor")
      ->capture_default_str();
  record->add_option("--out", o.out, "the signed record")->required();
  subs.push_back({record, [&o] { return run_record(o); }});

  auto* keygen = app.add_subcommand("provisioning-keygen", "A new provisioning key");
  keygen->add_option("--out-private", o.out_private, "private key (PEM, 0600)")->required();
  keygen->add_option("--out-keys", o.out_keys, "keys.json for devices")->required();
  subs.push_back(
      {keygen, [&o] { return repo::write_provisioning_keys(o.out_private, o.out_keys); }});
  return subs;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    CLI::App app{"ratchet-repo: the operator's Uptane repositories for ratchet", "ratchet-repo"};
    app.set_version_flag("--version", "ratchet-repo " RATCHET_VERSION);
    app.require_subcommand(1);
    Options o;
    const auto subs = add_commands(app, o);
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
      (void)report(Error(Code::InvalidArgument, e.what()));
      (void)std::fputs("run with --help for the options\n", stderr);
      return static_cast<int>(cli::ExitCode::Usage);
    }
    log::set_level(log::Level::Notice);
    for (const auto& s : subs)
      if (s.app->parsed()) return done(s.run());
    return static_cast<int>(cli::ExitCode::Usage);
  } catch (const std::exception& e) {
    return report(Error(Code::Internal, e.what()));
  } catch (...) {
    return report(Error(Code::Internal, "unknown exception"));
  }
}
