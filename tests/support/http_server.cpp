#include "tests/support/http_server.hpp"

#include <stdexcept>
#include <utility>

namespace ratchet::test {

HttpServer::HttpServer(std::filesystem::path root) {
  repo::HttpServerOptions options;
  options.record_requests = true;
  options.resolve = [root = std::move(root)](const std::string& path) {
    return std::optional(root / std::filesystem::path(path).relative_path());
  };
  auto server = repo::HttpFileServer::start(std::move(options));
  if (!server) throw std::runtime_error("test HTTP server: " + server.error().to_string());
  server_ = std::move(*server);
}

HttpServer::~HttpServer() = default;

std::string HttpServer::url(std::string_view path) const {
  while (path.starts_with('/'))
    path.remove_prefix(1);
  return server_->base_url() + "/" + std::string(path);
}

}  // namespace ratchet::test
