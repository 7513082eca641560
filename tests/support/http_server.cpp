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
  options.put = [this](const std::string& path, std::string_view body) {
    const std::lock_guard lock(mutex_);
    puts_[path] = std::string(body);
    return 200U;
  };
  auto server = repo::HttpFileServer::start(std::move(options));
  if (!server) throw std::runtime_error("test HTTP server: " + server.error().to_string());
  server_ = std::move(*server);
}

HttpServer::~HttpServer() = default;

std::optional<std::string> HttpServer::put_body(const std::string& path) const {
  const std::lock_guard lock(mutex_);
  const auto it = puts_.find(path);
  if (it == puts_.end()) return std::nullopt;
  return it->second;
}

std::string HttpServer::url(std::string_view path) const {
  while (path.starts_with('/'))
    path.remove_prefix(1);
  return server_->base_url() + "/" + std::string(path);
}

}  // namespace ratchet::test
