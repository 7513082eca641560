// Where metadata and targets come from: a repository over HTTP(S), or a directory (a USB stick,
// an unpacked bundle). Every fetch is bounded in size; the HTTP one also in rate.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "streaming/http_source.hpp"
#include "streaming/sink.hpp"

namespace ratchet::tuf {

class Fetcher {
 public:
  Fetcher() = default;
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;
  virtual ~Fetcher() = default;

  // The whole file at `path` (relative to the repository), at most max_bytes (TooLarge beyond).
  // A file the repository does not have is NotFound.
  [[nodiscard]] virtual Result<std::string> fetch(std::string_view path,
                                                  std::uint64_t max_bytes) = 0;
  // Streams a (large) file into `sink`, without finishing it.
  [[nodiscard]] virtual Status fetch_into(std::string_view path, streaming::Sink& sink) = 0;

  // Paths requested so far, in order (logs, tests).
  [[nodiscard]] const std::vector<std::string>& requested() const noexcept { return requested_; }

 protected:
  std::vector<std::string> requested_;
};

class HttpFetcher final : public Fetcher {
 public:
  HttpFetcher(std::string base_url, streaming::HttpOptions options);
  [[nodiscard]] Result<std::string> fetch(std::string_view path, std::uint64_t max_bytes) override;
  [[nodiscard]] Status fetch_into(std::string_view path, streaming::Sink& sink) override;

 private:
  std::string base_;
  streaming::HttpOptions options_;
};

// "https://host/repo" -> "https://host/repo/": a base URL that relative paths append to.
[[nodiscard]] std::string with_trailing_slash(std::string url);

class DirectoryFetcher final : public Fetcher {
 public:
  explicit DirectoryFetcher(std::filesystem::path root) : root_(std::move(root)) {}
  [[nodiscard]] Result<std::string> fetch(std::string_view path, std::uint64_t max_bytes) override;
  [[nodiscard]] Status fetch_into(std::string_view path, streaming::Sink& sink) override;

 private:
  [[nodiscard]] Result<std::filesystem::path> resolve(std::string_view path) const;
  std::filesystem::path root_;
};

// RFC 3986 percent-encoding of everything but unreserved characters (python's quote(s, "")).
[[nodiscard]] std::string url_encode(std::string_view s);

}  // namespace ratchet::tuf
