// Debian's nginx on a loopback port for tests (a real static web server, as a fleet or a CDN
// would serve the repositories): its own prefix in a temp dir, stopped by PID.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "tests/support/background_process.hpp"

namespace ratchet::test {

class Nginx {
 public:
  static constexpr const char* kBinary = "/usr/sbin/nginx";
  [[nodiscard]] static bool available();

  // Serves `root` on 127.0.0.1 (TLS when `ssl`); `server_lines` go inside the server block
  // (locations, certificates). Throws std::runtime_error when nginx does not come up.
  Nginx(const std::filesystem::path& prefix, const std::filesystem::path& root,
        const std::string& server_lines, bool ssl = false);

  // Runs `http_lines` (maps and server blocks, as a conf.d file holds them) inside the http
  // context; they listen on `port` themselves.
  Nginx(const std::filesystem::path& prefix, const std::string& http_lines, unsigned short port);

  [[nodiscard]] unsigned short port() const noexcept { return port_; }
  [[nodiscard]] std::string err() const { return process_->err(); }
  int stop() noexcept { return process_->stop(); }

 private:
  void start(const std::filesystem::path& prefix, const std::string& http_lines);
  unsigned short port_ = 0;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace ratchet::test
