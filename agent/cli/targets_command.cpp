// `ratchet targets`: what the last complete trusted set offers, answered offline from the store
// (the Fuchsia report, seed 001: an interrupted update must not leave the device unable to use
// its last trusted metadata). The stored documents are re-verified against the stored roots;
// expiry is not checked, since nothing is being installed.
#include <cstdio>
#include <memory>

#include "agent/cli/command.hpp"
#include "agent/cli/device_config.hpp"
#include "agent/store/lmdb_store.hpp"
#include "agent/tuf/metadata.hpp"
#include "common/hex.hpp"

namespace ratchet::cli {
namespace {

struct TargetsOptions {
  DeviceConfigOption config;
  std::string storage_dir;
  bool json = false;
};

Result<tuf::Targets> trusted_targets(const store::LmdbStore& db, const std::string& repo) {
  const auto root_bytes = RATCHET_TRY(db.get("trusted/" + repo + "/root"));
  const auto targets_bytes = RATCHET_TRY(db.get("trusted/" + repo + "/targets"));
  if (!root_bytes || !targets_bytes)
    return fail(Code::StateMissing, "{} repository: no trusted metadata in the store yet", repo);
  auto root_env = RATCHET_TRY(tuf::parse_envelope(*root_bytes, repo + " root", 512000));
  const auto root = RATCHET_TRY(tuf::parse_root(root_env, repo + " root"));
  RATCHET_TRY(tuf::verify_role(root_env, root.keys, root.roles.at("root"), repo + " root"));
  auto env = RATCHET_TRY(tuf::parse_envelope(*targets_bytes, repo + " targets", 16u << 20));
  RATCHET_TRY(tuf::verify_role(env, root.keys, root.roles.at("targets"), repo + " targets"));
  return tuf::parse_targets(env, repo + " targets");
}

Status run_targets(TargetsOptions o) {
  RATCHET_TRY(fill_from_config(o.config, o.storage_dir, nullptr));
  auto db = RATCHET_TRY(store::LmdbStore::open(o.storage_dir));
  const auto director = RATCHET_TRY(trusted_targets(db, "director"));
  tuf::Json out = tuf::Json::array();
  for (const auto& [name, file] : director.targets) {
    tuf::Json entry{{"name", name}, {"length", file.length}};
    if (file.hashes.sha256) entry["sha256"] = to_hex(*file.hashes.sha256);
    if (file.custom.is_object() && file.custom.contains("ecuIdentifiers"))
      entry["ecuIdentifiers"] = file.custom["ecuIdentifiers"];
    out.push_back(std::move(entry));
  }
  if (o.json) {
    (void)std::printf(
        "%s\n",
        tuf::Json{{"director_targets_version", director.version}, {"targets", out}}.dump().c_str());
    return {};
  }
  (void)std::printf("director targets v%llu\n", static_cast<unsigned long long>(director.version));
  for (const auto& e : out) {
    std::string ecus;
    if (e.contains("ecuIdentifiers"))
      for (auto it = e["ecuIdentifiers"].begin(); it != e["ecuIdentifiers"].end(); ++it)
        ecus += (ecus.empty() ? "" : ",") + it.key();
    (void)std::printf("%s  %llu bytes  sha256 %s  ECU %s\n", e["name"].get<std::string>().c_str(),
                      static_cast<unsigned long long>(e["length"].get<std::uint64_t>()),
                      e.value("sha256", std::string("-")).c_str(), ecus.c_str());
  }
  return {};
}

}  // namespace

Command add_targets_command(CLI::App& parent) {
  auto o = std::make_shared<TargetsOptions>();
  CLI::App* app =
      parent.add_subcommand("targets", "What the last complete trusted set offers (offline)");
  add_config_option(*app, o->config);
  app->add_option("--storage-dir", o->storage_dir, "trusted state");
  app->add_flag("--json", o->json, "JSON on stdout");
  return {app, [o] {
            auto s = run_targets(*o);
            return s ? 0 : report_error(s.error());
          }};
}

}  // namespace ratchet::cli
