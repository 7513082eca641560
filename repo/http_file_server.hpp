// A small HTTP/1.1 file server (Boost.Beast, one thread per connection, keep-alive; connections
// bounded in number and in time, see HttpServerOptions): GET and HEAD
// of files with single-range support, bounded PUT bodies handed to a callback, and fault modes
// that a device must survive (slow, truncated, over-long, endless and stalled bodies, ignored
// ranges, error statuses). `ratchet-repo serve` and the test servers are built on it.
//
// Files are streamed from disk in 64 KiB pieces, so images of gigabytes are fine. Which file a
// path names is the caller's business (`resolve`); request paths are percent-decoded and never
// hold a ".." segment (404). Boost stays out of this header.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace ratchet::repo {

struct HttpRequestRecord {
  std::string method;
  std::string target;
  std::string range;  // the value of the Range header, or ""
};

enum class HttpFault : std::uint8_t {
  None,         // 200 with Content-Length; "Range: bytes=A-B", "bytes=A-" and "bytes=-N" give 206
                // with Content-Range, 416 when unsatisfiable
  Slow,         // sends the body at `bytes_per_second`, in small pieces
  Truncate,     // advertises the full Content-Length, closes after `truncate_after` body bytes
  Endless,      // ignores the file: 200 without Content-Length (Connection: close), then bytes
                // until the client hangs up
  IgnoreRange,  // always 200 with the whole file, even when a Range was asked
  Status,       // answers with `status` and a short body
  Stall,        // sends the headers and `truncate_after` body bytes, then nothing, connection open
  LongLength,   // advertises `truncate_after` bytes more than it sends (the whole file), closes
  Drop,         // advertises the full Content-Length, closes after half the body
};

struct HttpFaultOptions {
  HttpFault fault = HttpFault::None;
  std::uint64_t bytes_per_second = 1024;
  std::uint64_t truncate_after = 0;
  unsigned status = 503;
  // When non-empty the fault applies only to this request target ("/a.bin" or "a.bin"); other
  // targets are served normally.
  std::string only_path{};  // (the {} keeps GCC 12 quiet about designated initializers)
};

// The file a decoded request path ("/image/timestamp.json") names, or nullopt (404). A path that
// names no regular file is a 404 too.
using HttpResolver = std::function<std::optional<std::filesystem::path>(const std::string& path)>;
// A PUT of `body` to decoded `path`: the HTTP status to answer with.
using HttpPutHandler = std::function<unsigned(const std::string& path, std::string_view body)>;

struct HttpServerOptions {
  std::string bind = "127.0.0.1";  // an IPv4 or IPv6 address
  std::uint16_t port = 0;          // 0: the kernel picks one
  HttpResolver resolve;
  HttpPutHandler put;  // none: PUT is 405
  std::size_t max_put_body = 1u << 20;
  bool record_requests = false;  // keep every request for requests() (tests)
  // At most this many connections at once (each one a thread). One more takes the place of the
  // connection that has waited longest for its next request (closed); when every connection is
  // busy with a request it is closed at once. 0: no bound.
  std::size_t max_connections = 64;
  // A connection must deliver a request's header within idle_timeout (of being accepted, or of
  // its previous response), then the body within request_timeout; a client that takes no bytes
  // of a response for idle_timeout is cut off. Past its deadline a connection is closed (the
  // Stall fault, which holds connections on purpose, is exempt). 0: no limit.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(60)};
};

class HttpFileServer {
 public:
  // Binds and starts accepting. Network errors name the address and port.
  [[nodiscard]] static Result<std::unique_ptr<HttpFileServer>> start(HttpServerOptions options);
  HttpFileServer(const HttpFileServer&) = delete;
  HttpFileServer& operator=(const HttpFileServer&) = delete;
  // Closes the listening socket and every open connection, then joins all threads; returns
  // promptly even with a client stuck mid-body.
  ~HttpFileServer();

  [[nodiscard]] std::uint16_t port() const;
  // "http://ADDRESS:PORT" (brackets around an IPv6 address), without a trailing slash.
  [[nodiscard]] std::string base_url() const;

  // Thread-safe; applies to requests that start afterwards.
  void set_fault(HttpFaultOptions options);

  // Every request seen so far, in order (thread-safe; with record_requests).
  [[nodiscard]] std::vector<HttpRequestRecord> requests() const;
  void clear_requests();

 private:
  struct Impl;
  explicit HttpFileServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ratchet::repo
