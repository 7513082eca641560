// `ratchet-repo serve`: REPO over HTTP, as a device sees it.
//
//   GET/HEAD /image/<path>             REPO/image/<path>
//   GET/HEAD /director/<device>/<path> REPO/director/<device>/<path>
//   PUT      /director/<device>/manifest   stored as REPO/manifests/<device>.json (atomically;
//                                      JSON of at most 1 MiB; 200, or 400/404/413)
// Everything else, REPO/private/ included, is 404. Faults make the server misbehave the way a
// device must survive: slow (100 B/s bodies), endless (bodies that never end), wrong-length
// (Content-Length beyond the body, then close), replay (the timestamp.json and newest targets
// metadata that the last publish replaced), drop (close mid-body).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "agent/repo/http_file_server.hpp"

namespace ratchet::repo {

enum class ServeFault : std::uint8_t { None, Slow, Endless, WrongLength, Replay, Drop };

[[nodiscard]] Result<ServeFault> parse_serve_fault(std::string_view name);

struct ServeOptions {
  std::filesystem::path root;
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;
  ServeFault fault = ServeFault::None;
};

[[nodiscard]] Result<std::unique_ptr<HttpFileServer>> start_repo_server(
    const ServeOptions& options);

}  // namespace ratchet::repo
