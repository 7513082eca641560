// ratchet-tuf: a plain TUF 1.0 client with the command contract outside test suites drive:
//   ratchet-tuf --metadata-dir MD init TRUSTED_ROOT_FILE
//   ratchet-tuf --metadata-url MURL --metadata-dir MD refresh
//   ratchet-tuf --metadata-url MURL --metadata-dir MD --target-name T [--target-name T2 ...]
//               --target-dir TD --target-base-url TURL download
// Exit 0 on full success, 1 on any failure (with `error: <Code>: <message>` on stderr).
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "agent/tuf/directory_store.hpp"
#include "agent/tuf/updater.hpp"
#include "common/constant_time.hpp"
#include "common/file.hpp"
#include "common/log.hpp"
#include "streaming/digest_check.hpp"
#include "streaming/memory_sink.hpp"

namespace {

using namespace ratchet;
using namespace ratchet::tuf;

int report(const Error& e) {
  (void)std::fprintf(stderr, "error: %s\n", e.to_string().c_str());
  return 1;
}

streaming::HttpOptions http_options() {
  streaming::HttpOptions o;
  o.retries = 1;
  o.backoff = std::chrono::milliseconds(200);
  o.connect_timeout = std::chrono::seconds(10);
  o.low_speed_time = std::chrono::seconds(10);
  return o;
}

Status init(const std::string& md, const std::string& root_file) {
  const std::string bytes = RATCHET_TRY(read_file(root_file, 512000));
  auto env = RATCHET_TRY(parse_envelope(bytes, "trusted root " + root_file, 512000));
  const Root root = RATCHET_TRY(parse_root(env, "trusted root"));
  RATCHET_TRY(verify_role(env, root.keys, root.roles.at("root"), "trusted root"));
  std::error_code ec;
  std::filesystem::create_directories(md, ec);
  DirectoryStore store(md);
  return store.store("root", bytes);
}

// A target already in TD is not fetched again when it still matches the metadata.
bool already_there(const std::filesystem::path& path, const TargetFile& file) {
  auto bytes = read_file(path, file.length);
  if (!bytes || bytes->size() != file.length) return false;
  return static_cast<bool>(
      check_meta_file(*bytes, MetaFile{0, file.length, file.hashes}, "target"));
}

Status download(Updater& updater, Fetcher& targets, const std::vector<std::string>& names,
                const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  for (const auto& name : names) {
    const TargetFile file = RATCHET_TRY(updater.find_target(name));
    const auto dest = dir / url_encode(name);
    if (already_there(dest, file)) continue;
    streaming::MemorySink sink(file.length);
    streaming::DigestCheck check(sink, "target " + name, file.length, file.hashes);
    RATCHET_TRY(targets.fetch_into(updater.target_path(name, file), check));
    RATCHET_TRY(check.finish());
    RATCHET_TRY(write_file_atomic(dest, sink.data(), 0644));
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    CLI::App app{"ratchet-tuf: a TUF 1.0 client", "ratchet-tuf"};
    std::string metadata_dir, metadata_url, target_dir, target_base_url, root_file;
    std::vector<std::string> target_names;
    app.add_option("--metadata-dir", metadata_dir, "trusted metadata directory")->required();
    app.add_option("--metadata-url", metadata_url, "repository metadata base URL");
    app.add_option("--target-name", target_names, "target to download (repeatable)");
    app.add_option("--target-dir", target_dir, "where downloaded targets go");
    app.add_option("--target-base-url", target_base_url, "repository targets base URL");
    app.require_subcommand(1);
    auto* init_cmd = app.add_subcommand("init", "trust a root file (no network)");
    init_cmd->add_option("trusted_root", root_file)->required();
    auto* refresh_cmd = app.add_subcommand("refresh", "update the trusted metadata");
    auto* download_cmd = app.add_subcommand("download", "refresh, then download targets");
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return app.exit(e) == 0 ? 0 : 1;
    }
    log::set_level(log::Level::Warning);
    if (init_cmd->parsed()) {
      auto s = init(metadata_dir, root_file);
      return s ? 0 : report(s.error());
    }
    if (metadata_url.empty())
      return report(Error(Code::InvalidArgument, "--metadata-url is required"));
    DirectoryStore store(metadata_dir);
    HttpFetcher fetcher(metadata_url, http_options());
    UpdaterOptions options;
    Updater updater(store, fetcher, options);
    if (auto s = updater.refresh(); !s) return report(s.error());
    if (refresh_cmd->parsed()) return 0;
    if (download_cmd->parsed()) {
      if (target_dir.empty() || target_base_url.empty())
        return report(
            Error(Code::InvalidArgument, "download needs --target-dir and --target-base-url"));
      HttpFetcher targets(target_base_url, http_options());
      auto s = download(updater, targets, target_names, target_dir);
      return s ? 0 : report(s.error());
    }
    return 1;
  } catch (const std::exception& e) {
    return report(Error(Code::Internal, e.what()));
  } catch (...) {
    return report(Error(Code::Internal, "unknown exception"));
  }
}
