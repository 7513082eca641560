// A loopback HTTP/1.1 file server for tests (Boost.Beast), with fault modes: slow, truncated,
// endless and stalled bodies, ignored ranges and error statuses.
//
// Serves the regular files under `root` at http://127.0.0.1:PORT/ (the kernel picks the port) for
// GET and HEAD, one thread per connection, with keep-alive. Files are streamed from disk in 64 KiB
// pieces, so files of hundreds of MB are fine. Boost stays out of this header.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ratchet::test {

struct HttpRequestRecord {
  std::string method;
  std::string target;
  std::string range;  // the value of the Range header, or ""
};

enum class HttpFault {
  None,         // 200 with Content-Length; "Range: bytes=A-B", "bytes=A-" and "bytes=-N" give 206
                // with Content-Range, 416 when unsatisfiable
  Slow,         // sends the body at `bytes_per_second`, in small pieces
  Truncate,     // advertises the full Content-Length, closes after `truncate_after` body bytes
  Endless,      // ignores the file: 200 without Content-Length (Connection: close), then bytes
                // until the client hangs up
  IgnoreRange,  // always 200 with the whole file, even when a Range was asked
  Status,       // answers with `status` and a short body
  Stall,        // sends the headers and `truncate_after` body bytes, then nothing, connection open
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

class HttpServer {
 public:
  explicit HttpServer(std::filesystem::path root);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // Closes the listening socket and every open connection, then joins all threads; returns
  // promptly even with a client stuck mid-body.
  ~HttpServer();

  [[nodiscard]] std::uint16_t port() const;
  // "http://127.0.0.1:PORT/" + path (path without a leading slash).
  [[nodiscard]] std::string url(std::string_view path = "") const;

  // Thread-safe; applies to requests that start afterwards.
  void set_fault(HttpFaultOptions options);

  // Every request seen so far, in order (thread-safe).
  [[nodiscard]] std::vector<HttpRequestRecord> requests() const;
  void clear_requests();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ratchet::test
