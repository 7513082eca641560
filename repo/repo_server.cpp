#include "repo/repo_server.hpp"

#include <optional>

#include "repo/device_keys.hpp"
#include "repo/operator_repo.hpp"
#include "common/file.hpp"
#include "common/log.hpp"

namespace ratchet::repo {
namespace {

constexpr std::size_t kMaxManifest = 1u << 20;

struct Route {
  std::string served;  // "image" or "director/<id>"
  std::string rest;    // the path inside that repository
};

// "/image/<rest>" or "/director/<id>/<rest>"; nullopt for anything else.
std::optional<Route> route(const std::string& path) {
  constexpr std::string_view kImage = "/image/";
  constexpr std::string_view kDirector = "/director/";
  if (path.starts_with(kImage)) return Route{"image", path.substr(kImage.size())};
  if (!path.starts_with(kDirector)) return std::nullopt;
  const std::string tail = path.substr(kDirector.size());
  const auto slash = tail.find('/');
  if (slash == std::string::npos) return std::nullopt;
  const std::string id = tail.substr(0, slash);
  if (!check_device_id(id)) return std::nullopt;
  return Route{"director/" + id, tail.substr(slash + 1)};
}

// The metadata a replaying server answers with instead: what the last publish replaced.
bool replayable(std::string_view rest, std::string_view& as) {
  if (rest == "timestamp.json") {
    as = "timestamp.json";
    return true;
  }
  const auto dot = rest.find('.');
  const bool versioned = dot != std::string_view::npos && dot > 0 &&
                         rest.substr(dot) == ".targets.json" &&
                         rest.substr(0, dot).find_first_not_of("0123456789") == std::string::npos;
  if (rest == "targets.json" || versioned) {
    as = "targets.json";
    return true;
  }
  return false;
}

std::optional<std::filesystem::path> resolve(const RepoPaths& paths, ServeFault fault,
                                             const std::string& path) {
  const auto r = route(path);
  if (!r || r->rest.empty()) return std::nullopt;
  const std::filesystem::path rel = std::filesystem::path(r->rest).relative_path();
  std::string_view as;
  if (fault == ServeFault::Replay && replayable(r->rest, as)) {
    const auto previous = paths.previous(r->served) / as;
    std::error_code ec;
    if (std::filesystem::is_regular_file(previous, ec)) return previous;
  }
  return paths.root / r->served / rel;
}

unsigned put_manifest(const RepoPaths& paths, const std::string& path, std::string_view body) {
  const auto r = route(path);
  if (!r || !r->served.starts_with("director/") || r->rest != "manifest") return 404;
  const std::string device = r->served.substr(std::string_view("director/").size());
  std::error_code ec;
  if (!std::filesystem::is_directory(paths.director(device), ec)) return 404;
  // Stored only when the device it names signed it: a manifest is what the backend decides the
  // device's next update on, so a forged one (any JSON for any device, before) is refused.
  const auto key = device_key(paths, device);
  if (!key) {
    log::warning("manifest of {} refused: {}", device, key.error().to_string());
    return 403;
  }
  if (auto verified = verify_manifest(*key, device, body); !verified) {
    log::warning("manifest of {} refused: {}", device, verified.error().to_string());
    return verified.error().code() == Code::BadMetadata ? 400 : 403;
  }
  std::filesystem::create_directories(paths.manifests(), ec);
  if (auto s = write_file_atomic(paths.manifests() / (device + ".json"), body, 0644); !s) {
    log::error("manifest of {}: {}", device, s.error().to_string());
    return 500;
  }
  log::info("stored the manifest of {}", device);
  return 200;
}

}  // namespace

Result<ServeFault> parse_serve_fault(std::string_view name) {
  if (name == "none") return ServeFault::None;
  if (name == "slow") return ServeFault::Slow;
  if (name == "endless") return ServeFault::Endless;
  if (name == "wrong-length") return ServeFault::WrongLength;
  if (name == "replay") return ServeFault::Replay;
  if (name == "drop") return ServeFault::Drop;
  return fail(Code::InvalidArgument,
              "fault '{}': expected none, slow, endless, wrong-length, replay or drop", name);
}

Result<std::unique_ptr<HttpFileServer>> start_repo_server(const ServeOptions& options) {
  const RepoPaths paths{options.root};
  std::error_code ec;
  if (!std::filesystem::is_directory(paths.image(), ec))
    return fail(Code::NotFound, "{}: not a ratchet-repo repository (no image/)",
                options.root.string());
  HttpServerOptions http;
  http.bind = options.bind;
  http.port = options.port;
  http.max_put_body = kMaxManifest;
  http.max_connections = options.max_connections;
  http.idle_timeout = options.idle_timeout;
  http.request_timeout = options.request_timeout;
  const ServeFault fault = options.fault;
  http.resolve = [paths, fault](const std::string& path) { return resolve(paths, fault, path); };
  http.put = [paths](const std::string& path, std::string_view body) {
    return put_manifest(paths, path, body);
  };
  auto server = RATCHET_TRY(HttpFileServer::start(std::move(http)));
  switch (fault) {
    case ServeFault::Slow:
      server->set_fault({.fault = HttpFault::Slow, .bytes_per_second = 100});
      break;
    case ServeFault::Endless:
      server->set_fault({.fault = HttpFault::Endless});
      break;
    case ServeFault::WrongLength:
      server->set_fault({.fault = HttpFault::LongLength, .truncate_after = 1024});
      break;
    case ServeFault::Drop:
      server->set_fault({.fault = HttpFault::Drop});
      break;
    default:
      break;
  }
  return server;
}

}  // namespace ratchet::repo
