// Source: HTTP(S) through libcurl. Resumes with range requests (after a dropped connection, and
// after a power cut via the install checkpoint), gives up on transfers slower than a minimum rate
// (slow-retrieval attacks), retries transient failures with exponential backoff, and supports a
// CA file and a client certificate (mutual TLS).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "streaming/source.hpp"

namespace ratchet::streaming {

struct HttpOptions {
  std::string ca_file;      // empty: the system's trust store
  std::string client_cert;  // PEM; with client_key for mutual TLS
  std::string client_key;
  std::chrono::seconds connect_timeout{30};
  // Slow retrieval: abort when fewer than min_rate bytes/s arrive for low_speed_time.
  std::uint64_t min_rate = 1024;
  std::chrono::seconds low_speed_time{30};
  unsigned retries = 4;                     // further attempts after the first
  std::chrono::milliseconds backoff{1000};  // doubled after each failed attempt
  std::chrono::milliseconds max_backoff{30000};
};

class HttpSource final : public Source {
 public:
  HttpSource(std::string url, HttpOptions options);

  [[nodiscard]] Status read_into(std::uint64_t offset, Sink& sink) override;
  [[nodiscard]] std::string describe() const override { return url_; }

  // For tests and logs: the Range header of each request made ("" for none).
  [[nodiscard]] const std::vector<std::string>& ranges_requested() const noexcept {
    return ranges_;
  }
  // The HTTP status of the last response (0 when none came).
  [[nodiscard]] long last_status() const noexcept { return last_status_; }

 private:
  std::string url_;
  HttpOptions options_;
  std::vector<std::string> ranges_;
  long last_status_ = 0;
};

// Whether an error from a source is worth another attempt later (network, server trouble).
[[nodiscard]] bool is_transient(const Error& error) noexcept;

}  // namespace ratchet::streaming
