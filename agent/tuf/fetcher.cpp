#include "agent/tuf/fetcher.hpp"

#include "common/file.hpp"
#include "streaming/file_source.hpp"
#include "streaming/memory_sink.hpp"

namespace ratchet::tuf {

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

HttpFetcher::HttpFetcher(std::string base_url, streaming::HttpOptions options)
    : base_(std::move(base_url)), options_(std::move(options)) {
  if (!base_.empty() && base_.back() != '/') base_.push_back('/');
}

Result<std::string> HttpFetcher::fetch(std::string_view path, std::uint64_t max_bytes) {
  requested_.emplace_back(path);
  streaming::HttpSource source(base_ + std::string(path), options_);
  streaming::MemorySink sink(max_bytes);
  auto status = source.read_into(0, sink);
  if (!status) {
    if (source.last_status() == 404 || source.last_status() == 403)
      return fail(Code::NotFound, "{}{}: not in the repository (HTTP {})", base_, path,
                  source.last_status());
    if (status.error().code() == Code::TooLarge)
      return fail(Code::TooLarge, "{}: more than the {} bytes allowed", path, max_bytes);
    return fail(std::move(status).error());
  }
  return sink.data();
}

Status HttpFetcher::fetch_into(std::string_view path, streaming::Sink& sink) {
  requested_.emplace_back(path);
  streaming::HttpSource source(base_ + std::string(path), options_);
  auto status = source.read_into(0, sink);
  if (!status && (source.last_status() == 404 || source.last_status() == 403))
    return fail(Code::NotFound, "{}{}: not in the repository (HTTP {})", base_, path,
                source.last_status());
  return status;
}

Result<std::filesystem::path> DirectoryFetcher::resolve(std::string_view path) const {
  const std::filesystem::path rel(path);
  for (const auto& part : rel)
    if (part == ".." || rel.is_absolute())
      return fail(Code::BadMetadata, "{}: path leaves the repository", path);
  return root_ / rel;
}

Result<std::string> DirectoryFetcher::fetch(std::string_view path, std::uint64_t max_bytes) {
  requested_.emplace_back(path);
  const auto p = RATCHET_TRY(resolve(path));
  return read_file(p, max_bytes);
}

Status DirectoryFetcher::fetch_into(std::string_view path, streaming::Sink& sink) {
  requested_.emplace_back(path);
  const auto p = RATCHET_TRY(resolve(path));
  streaming::FileSource source(p);
  return source.read_into(0, sink);
}

std::string with_trailing_slash(std::string url) {
  if (!url.empty() && url.back() != '/') url.push_back('/');
  return url;
}

}  // namespace ratchet::tuf
