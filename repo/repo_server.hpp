// `ratchet-repo serve`: REPO over HTTP, as a device sees it.
//
//   GET/HEAD /image/<path>             REPO/image/<path>
//   GET/HEAD /director/<device>/<path> REPO/director/<device>/<path>
//   PUT      /director/<device>/manifest   stored as REPO/manifests/<device>.json (atomically;
//                                      at most 1 MiB) when signed by the device's enrolled ECU
//                                      key (device_keys.hpp) for its vin: 200; else 400 (not a
//                                      signed envelope), 403 (no key enrolled, another vin, no
//                                      valid signature), 404 (no such device), 413 (too large)
// Connections are bounded and time out (HttpServerOptions: max_connections, idle_timeout,
// request_timeout).
// Everything else, REPO/private/ included, is 404. Faults make the server misbehave the way a
// device must survive: slow (100 B/s bodies), endless (bodies that never end), wrong-length
// (Content-Length beyond the body, then close), replay (the timestamp.json and newest targets
// metadata that the last publish replaced), drop (close mid-body).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "repo/http_file_server.hpp"

namespace ratchet::repo {

enum class ServeFault : std::uint8_t { None, Slow, Endless, WrongLength, Replay, Drop };

[[nodiscard]] Result<ServeFault> parse_serve_fault(std::string_view name);

struct ServeOptions {
  std::filesystem::path root;
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;
  ServeFault fault = ServeFault::None;
  std::size_t max_connections = HttpServerOptions{}.max_connections;
  std::chrono::milliseconds idle_timeout = HttpServerOptions{}.idle_timeout;
  std::chrono::milliseconds request_timeout = HttpServerOptions{}.request_timeout;
};

[[nodiscard]] Result<std::unique_ptr<HttpFileServer>> start_repo_server(
    const ServeOptions& options);

}  // namespace ratchet::repo
