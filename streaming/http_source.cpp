#include "streaming/http_source.hpp"

#include <charconv>
#include <optional>
#include <string_view>
#include <thread>

#include "common/handles/curl.hpp"
#include "common/log.hpp"

namespace ratchet::streaming {
namespace {

// State shared with libcurl's C callbacks; they never throw and never let an error escape.
struct Transfer {
  CURL* curl = nullptr;
  Sink* sink = nullptr;
  std::uint64_t requested_offset = 0;
  std::uint64_t delivered = 0;   // bytes passed to the sink in this attempt
  std::uint64_t to_discard = 0;  // a server that ignored our range resends what we already have
  bool started = false;
  long status = 0;
  std::optional<std::uint64_t> content_range_start;
  std::optional<Error> sink_error;
  std::optional<Error> protocol_error;
};

std::optional<std::uint64_t> parse_content_range_start(std::string_view line) {
  // "Content-Range: bytes 100-199/1000"
  constexpr std::string_view kName = "content-range:";
  if (line.size() < kName.size()) return std::nullopt;
  for (std::size_t i = 0; i < kName.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != kName[i]) return std::nullopt;
  line.remove_prefix(kName.size());
  while (!line.empty() && line.front() == ' ')
    line.remove_prefix(1);
  if (!line.starts_with("bytes ")) return std::nullopt;
  line.remove_prefix(6);
  std::uint64_t start = 0;
  const auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), start);
  if (ec != std::errc() || p == line.data() + line.size() || *p != '-') return std::nullopt;
  return start;
}

extern "C" std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) noexcept {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) t->content_range_start.reset();  // a new response (redirects)
  if (auto start = parse_content_range_start(line)) t->content_range_start = start;
  return size * n;
}

extern "C" std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) noexcept {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t total = size * n;
  try {
    if (!t->started) {
      t->started = true;
      (void)curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
      if (t->status == 206) {
        if (t->content_range_start != t->requested_offset) {
          t->protocol_error = Error(
              Code::Network, fmt::format("206 response starts at {}, asked for {}",
                                         t->content_range_start.value_or(0), t->requested_offset));
          return 0;
        }
      } else if (t->status == 200) {
        t->to_discard = t->requested_offset;  // range ignored: skip what we already have
      } else {
        return 0;  // error status: no body reaches the sink
      }
    }
    std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), total);
    const std::size_t skip =
        static_cast<std::size_t>(std::min<std::uint64_t>(t->to_discard, bytes.size()));
    t->to_discard -= skip;
    bytes = bytes.subspan(skip);
    if (bytes.empty()) return total;
    if (auto s = t->sink->write(bytes); !s) {
      t->sink_error = std::move(s).error();
      return 0;
    }
    t->delivered += bytes.size();
    return total;
  } catch (...) {
    t->sink_error = Error(Code::Internal, "exception in the download sink");
    return 0;
  }
}

bool retryable_status(long status) {
  return status == 408 || status == 429 || status >= 500;
}

}  // namespace

bool is_transient(const Error& error) noexcept {
  return error.kind() == ErrorKind::Transient;
}

HttpSource::HttpSource(std::string url, HttpOptions options)
    : url_(std::move(url)), options_(std::move(options)) {}

Status HttpSource::read_into(std::uint64_t offset, Sink& sink) {
  curl::Easy easy(curl_easy_init());
  if (!easy) return fail(Code::Internal, "curl_easy_init failed");
  char errbuf[CURL_ERROR_SIZE] = {};
  auto backoff = options_.backoff;
  std::uint64_t position = offset;
  for (unsigned attempt = 0;; ++attempt) {
    Transfer t;
    t.curl = easy.get();
    t.sink = &sink;
    t.requested_offset = position;
    const std::string range = position > 0 ? fmt::format("{}-", position) : std::string();
    ranges_.push_back(range.empty() ? "" : "bytes=" + range);
    curl_easy_reset(easy.get());
    CURL* c = easy.get();
    bool ok = curl_easy_setopt(c, CURLOPT_URL, url_.c_str()) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_USERAGENT, "ratchet/" RATCHET_VERSION) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_WRITEDATA, &t) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_HEADERDATA, &t) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
                               static_cast<long>(options_.connect_timeout.count())) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(options_.min_rate)) ==
                  CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
                               static_cast<long>(options_.low_speed_time.count())) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024L) == CURLE_OK;
    if (ok && !range.empty()) ok = curl_easy_setopt(c, CURLOPT_RANGE, range.c_str()) == CURLE_OK;
    if (ok && !options_.ca_file.empty())
      ok = curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str()) == CURLE_OK;
    if (ok && !options_.client_cert.empty())
      ok = curl_easy_setopt(c, CURLOPT_SSLCERT, options_.client_cert.c_str()) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_SSLKEY, options_.client_key.c_str()) == CURLE_OK;
    if (!ok) return fail(Code::Internal, "{}: setting up libcurl failed", url_);

    errbuf[0] = '\0';
    const CURLcode rc = curl_easy_perform(c);
    position += t.delivered;
    if (t.sink_error) return fail(std::move(*t.sink_error));  // verification failures are final
    if (!t.started) (void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.status);
    last_status_ = t.status;
    if (rc == CURLE_OK && (t.status == 200 || t.status == 206) && t.to_discard == 0) return {};

    Error error(Code::Network, "");
    bool retry = true;
    if (t.protocol_error) {
      error = std::move(*t.protocol_error);
    } else if (t.status != 0 && t.status != 200 && t.status != 206) {
      error = Error(Code::HttpStatus, fmt::format("HTTP status {}", t.status));
      retry = retryable_status(t.status);
    } else if (rc == CURLE_OPERATION_TIMEDOUT && t.started) {
      error = Error(Code::SlowRetrieval,
                    fmt::format("fewer than {} bytes/s for {} s after {} bytes", options_.min_rate,
                                options_.low_speed_time.count(), position));
    } else if (rc == CURLE_OK) {
      error =
          Error(Code::Network, fmt::format("response ended before byte {}", t.requested_offset));
    } else {
      error = Error(Code::Network, fmt::format("{} ({})", curl_easy_strerror(rc), errbuf));
      retry = rc != CURLE_PEER_FAILED_VERIFICATION && rc != CURLE_SSL_CACERT_BADFILE &&
              rc != CURLE_SSL_CERTPROBLEM && rc != CURLE_UNSUPPORTED_PROTOCOL &&
              rc != CURLE_URL_MALFORMAT;
    }
    error.context(url_);
    if (!retry || attempt >= options_.retries) return fail(std::move(error));
    log::warning("{}; retrying from byte {} in {} ms", error.message(), position, backoff.count());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

}  // namespace ratchet::streaming
