#include "tests/support/nginx.hpp"

#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

namespace ratchet::test {

bool Nginx::available() {
  std::error_code ec;
  return std::filesystem::exists(kBinary, ec);
}

Nginx::Nginx(const std::filesystem::path& prefix, const std::filesystem::path& root,
             const std::string& server_lines, bool ssl)
    : port_(free_loopback_port()) {
  start(prefix, fmt::format(R"(
  server {{
    listen 127.0.0.1:{0}{1};
    root {2};
{3}
  }}
)",
                            port_, ssl ? " ssl" : "", root.string(), server_lines));
}

Nginx::Nginx(const std::filesystem::path& prefix, const std::string& http_lines,
             unsigned short port)
    : port_(port) {
  start(prefix, http_lines);
}

void Nginx::start(const std::filesystem::path& prefix, const std::string& http_lines) {
  std::filesystem::create_directories(prefix / "logs");
  std::ofstream(prefix / "nginx.conf") << fmt::format(R"(
worker_processes 1;
master_process off;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {0}/body;
  proxy_temp_path {0}/proxy;
  fastcgi_temp_path {0}/fastcgi;
  uwsgi_temp_path {0}/uwsgi;
  scgi_temp_path {0}/scgi;
  types {{ application/json json; }}
  default_type application/octet-stream;
{1}
}}
)",
                                                      prefix.string(), http_lines);
  process_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{
          kBinary, "-c", (prefix / "nginx.conf").string(), "-p", prefix.string(), "-g",
          fmt::format("daemon off; pid {}/nginx.pid; error_log stderr;", prefix.string())},
      prefix / "nginx");
  if (!wait_for_port(port_)) throw std::runtime_error("nginx did not start: " + process_->err());
}

}  // namespace ratchet::test
