// A loopback HTTP/1.1 file server for tests: repo/'s HttpFileServer serving the regular files
// under `root` at http://127.0.0.1:PORT/ (the kernel picks the port), recording every request,
// with the same fault modes (slow, truncated, endless and stalled bodies, ignored ranges, error
// statuses). Boost stays out of this header.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "repo/http_file_server.hpp"

namespace ratchet::test {

using HttpRequestRecord = repo::HttpRequestRecord;
using HttpFault = repo::HttpFault;
using HttpFaultOptions = repo::HttpFaultOptions;

class HttpServer {
 public:
  // Throws std::runtime_error when the server cannot start.
  explicit HttpServer(std::filesystem::path root);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // Returns promptly even with a client stuck mid-body.
  ~HttpServer();

  [[nodiscard]] std::uint16_t port() const { return server_->port(); }
  // "http://127.0.0.1:PORT/" + path (path without a leading slash).
  [[nodiscard]] std::string url(std::string_view path = "") const;

  // Thread-safe; applies to requests that start afterwards.
  void set_fault(HttpFaultOptions options) { server_->set_fault(std::move(options)); }

  // Every request seen so far, in order (thread-safe).
  [[nodiscard]] std::vector<HttpRequestRecord> requests() const { return server_->requests(); }
  void clear_requests() { server_->clear_requests(); }

  // The last body PUT to `path` ("/manifest"), if any: the server accepts PUTs (answering 200)
  // and keeps them here instead of writing files.
  [[nodiscard]] std::optional<std::string> put_body(const std::string& path) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> puts_;
  std::unique_ptr<repo::HttpFileServer> server_;  // last: stopped before the map goes
};

}  // namespace ratchet::test
