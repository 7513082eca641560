#include "tests/support/http_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ratchet::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunk = 64 * 1024;

// Boost 1.74's beast::string_view is boost::string_view.
std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

// An open file descriptor, closed on destruction.
class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// The path part of a request target, percent-decoded; nullopt when the target is not a
// well-formed origin-form path or has a ".." segment.
std::optional<std::string> decode_path(std::string_view target) {
  target = target.substr(0, target.find_first_of("?#"));
  if (target.empty() || target.front() != '/') return std::nullopt;
  std::string out;
  out.reserve(target.size());
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] != '%') {
      out.push_back(target[i]);
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= target.size()) return std::nullopt;
    const char* first = target.data() + i + 1;
    auto [ptr, ec] = std::from_chars(first, first + 2, value, 16);
    if (ec != std::errc{} || ptr != first + 2 || value == 0) return std::nullopt;
    out.push_back(static_cast<char>(value));
    i += 2;
  }
  std::size_t start = 0;
  while (start <= out.size()) {
    std::size_t end = out.find('/', start);
    if (end == std::string::npos) end = out.size();
    if (std::string_view(out).substr(start, end - start) == "..") return std::nullopt;
    start = end + 1;
  }
  return out;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};

struct RangeRequest {
  enum class Kind { Whole, Part, Unsatisfiable } kind = Kind::Whole;
  ByteRange range;
};

// One "bytes=A-B", "bytes=A-" or "bytes=-N" range. Anything else (several ranges, other units,
// syntax errors) is ignored, as RFC 9110 allows, and the whole file is served.
RangeRequest parse_range(std::string_view header, std::uint64_t size) {
  using Kind = RangeRequest::Kind;
  constexpr std::string_view kPrefix = "bytes=";
  if (!header.starts_with(kPrefix)) return {};
  header.remove_prefix(kPrefix.size());
  const std::size_t dash = header.find('-');
  if (dash == std::string_view::npos || header.find(',') != std::string_view::npos) return {};
  const std::string_view a = header.substr(0, dash);
  const std::string_view b = header.substr(dash + 1);
  if (a.empty()) {  // suffix: the last N bytes
    const auto n = parse_u64(b);
    if (!n) return {};
    if (*n == 0 || size == 0) return {Kind::Unsatisfiable, {}};
    return {Kind::Part, {size - std::min(*n, size), size - 1}};
  }
  const auto first = parse_u64(a);
  if (!first) return {};
  std::uint64_t last = UINT64_MAX;
  if (!b.empty()) {
    const auto parsed = parse_u64(b);
    if (!parsed || *parsed < *first) return {};
    last = *parsed;
  }
  if (*first >= size) return {Kind::Unsatisfiable, {}};
  return {Kind::Part, {*first, std::min(last, size - 1)}};
}

bool target_matches(std::string_view target, std::string_view only_path) {
  target = target.substr(0, target.find_first_of("?#"));
  if (only_path.starts_with('/')) return target == only_path;
  return target.size() == only_path.size() + 1 && target.ends_with(only_path);
}

}  // namespace

struct HttpServer::Impl {
  struct Connection {
    explicit Connection(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    bool closed = false;  // guarded by Impl::mutex, so that shutdown never hits a reused fd
    std::atomic<bool> done{false};
    std::thread thread;
  };

  std::filesystem::path root;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::uint16_t port = 0;

  mutable std::mutex mutex;
  std::condition_variable cv;
  bool stopping = false;
  HttpFaultOptions fault;
  std::vector<HttpRequestRecord> requests;
  std::list<std::unique_ptr<Connection>> connections;
  std::thread accept_thread;

  explicit Impl(std::filesystem::path r) : root(std::move(r)) {
    const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), 0);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    port = acceptor.local_endpoint().port();
    accept_thread = std::thread([this] { accept_loop(); });
  }

  ~Impl() {
    {
      const std::lock_guard lock(mutex);
      stopping = true;
    }
    cv.notify_all();
    // Wakes the blocking accept() (Linux returns EINVAL); no new connection is added after this.
    ::shutdown(acceptor.native_handle(), SHUT_RDWR);
    accept_thread.join();
    {
      // Wakes every connection blocked in recv() or send(); a client that stopped reading
      // mid-body cannot keep a thread here.
      const std::lock_guard lock(mutex);
      for (auto& c : connections) {
        if (!c->closed) ::shutdown(c->socket.native_handle(), SHUT_RDWR);
      }
    }
    for (auto& c : connections) {
      c->thread.join();
    }
    boost::system::error_code ec;
    acceptor.close(ec);
  }

  // Sleeps until `deadline`; false when the server is stopping.
  bool sleep_until(Clock::time_point deadline) {
    std::unique_lock lock(mutex);
    return !cv.wait_until(lock, deadline, [this] { return stopping; });
  }

  void close(Connection& c) {
    const std::lock_guard lock(mutex);
    if (c.closed) return;
    boost::system::error_code ec;
    c.socket.shutdown(tcp::socket::shutdown_both, ec);
    c.socket.close(ec);
    c.closed = true;
  }

  void accept_loop() noexcept {
    for (;;) {
      try {
        tcp::socket socket(io);
        boost::system::error_code ec;
        acceptor.accept(socket, ec);
        if (ec) {
          if (!sleep_until(Clock::now() + std::chrono::milliseconds(10))) return;
          continue;
        }
        const std::lock_guard lock(mutex);
        if (stopping) return;
        // Joins the connections that have finished, so a long run does not pile up threads.
        std::erase_if(connections, [](std::unique_ptr<Connection>& c) {
          if (!c->done.load()) return false;
          c->thread.join();
          return true;
        });
        socket.set_option(tcp::no_delay(true), ec);
        auto& c = *connections.emplace_back(std::make_unique<Connection>(std::move(socket)));
        c.thread = std::thread([this, &c] { serve(c); });
      } catch (...) {
        // Out of threads or descriptors: wait a little and keep accepting.
        if (!sleep_until(Clock::now() + std::chrono::milliseconds(10))) return;
      }
    }
  }

  void serve(Connection& c) noexcept {
    try {
      beast::flat_buffer buffer;
      std::vector<char> chunk(kChunk);
      for (;;) {
        http::request<http::string_body> req;
        boost::system::error_code ec;
        http::read(c.socket, buffer, req, ec);
        if (ec || !respond(c, req, chunk)) break;
      }
    } catch (...) {
      // A client hanging up, or anything else: this connection is over.
    }
    close(c);
    c.done.store(true);
  }

  // Writes the response; false when the connection must be closed afterwards.
  bool respond(Connection& c, const http::request<http::string_body>& req,
               std::vector<char>& chunk) {
    const std::string target(sv(req.target()));
    HttpFaultOptions opt;
    {
      const std::lock_guard lock(mutex);
      requests.push_back(
          {std::string(sv(req.method_string())), target, std::string(sv(req[http::field::range]))});
      opt = fault;
    }
    if (!opt.only_path.empty() && !target_matches(target, opt.only_path)) {
      opt.fault = HttpFault::None;
    }
    const bool head = req.method() == http::verb::head;
    boost::system::error_code ec;

    auto simple = [&](http::status status, std::string body) {
      http::response<http::string_body> res{status, 11};
      const unsigned code = res.result_int();
      if (code < 200 || code == 204 || code == 304) body.clear();  // these never have a body
      res.set(http::field::content_type, "text/plain");
      res.keep_alive(req.keep_alive());
      res.body() = head ? std::string() : body;
      res.prepare_payload();
      if (head && !body.empty()) res.content_length(body.size());
      http::write(c.socket, res, ec);
      return !ec && req.keep_alive();
    };

    if (req.method() != http::verb::get && !head) {
      return simple(http::status::method_not_allowed, "only GET and HEAD\n");
    }
    if (opt.fault == HttpFault::Status) {
      const auto status = static_cast<http::status>(opt.status);
      return simple(status, std::to_string(opt.status) + " (fault injected)\n");
    }
    const auto path = decode_path(target);
    if (!path) return simple(http::status::bad_request, "bad path\n");

    if (opt.fault == HttpFault::Endless) {
      http::response<http::empty_body> res{http::status::ok, 11};
      res.set(http::field::content_type, "application/octet-stream");
      res.keep_alive(false);
      http::write(c.socket, res, ec);
      if (ec || head) return false;
      for (std::size_t i = 0; i < chunk.size(); ++i) {
        chunk[i] = static_cast<char>('a' + i % 26);
      }
      while (!ec) {
        asio::write(c.socket, asio::buffer(chunk), ec);
      }
      return false;
    }

    const std::filesystem::path file = root / std::filesystem::path(*path).relative_path();
    const Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return simple(http::status::not_found, "not found\n");
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);

    RangeRequest range;
    if (opt.fault != HttpFault::IgnoreRange && req.count(http::field::range) != 0) {
      range = parse_range(sv(req[http::field::range]), size);
    }
    if (range.kind == RangeRequest::Kind::Unsatisfiable) {
      http::response<http::string_body> res{http::status::range_not_satisfiable, 11};
      res.set(http::field::content_range, "bytes */" + std::to_string(size));
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(c.socket, res, ec);
      return !ec && req.keep_alive();
    }

    const bool partial = range.kind == RangeRequest::Kind::Part;
    const std::uint64_t offset = partial ? range.range.first : 0;
    const std::uint64_t length = partial ? range.range.last - range.range.first + 1 : size;
    const bool keep_alive =
        req.keep_alive() && opt.fault != HttpFault::Truncate && opt.fault != HttpFault::Stall;

    http::response<http::empty_body> res{partial ? http::status::partial_content : http::status::ok,
                                         11};
    res.set(http::field::content_type, "application/octet-stream");
    res.set(http::field::accept_ranges, "bytes");
    if (partial) {
      res.set(http::field::content_range, "bytes " + std::to_string(range.range.first) + "-" +
                                              std::to_string(range.range.last) + "/" +
                                              std::to_string(size));
    }
    res.content_length(length);
    res.keep_alive(keep_alive);
    http::write(c.socket, res, ec);
    if (ec) return false;
    if (head) return keep_alive;

    switch (opt.fault) {
      case HttpFault::Truncate:
        send_file(c, fd.get(), offset, std::min(length, opt.truncate_after), chunk, 0);
        return false;  // serve() closes the socket
      case HttpFault::Stall: {
        if (!send_file(c, fd.get(), offset, std::min(length, opt.truncate_after), chunk, 0)) {
          return false;
        }
        // Silence until the client hangs up or the server stops (shutdown() ends the read).
        std::array<char, 512> sink{};
        while (!ec) {
          c.socket.read_some(asio::buffer(sink), ec);
        }
        return false;
      }
      case HttpFault::Slow:
        return send_file(c, fd.get(), offset, length, chunk,
                         std::max<std::uint64_t>(opt.bytes_per_second, 1)) &&
               keep_alive;
      default:
        return send_file(c, fd.get(), offset, length, chunk, 0) && keep_alive;
    }
  }

  // Sends `length` bytes of the file from `offset`; at `bytes_per_second` when non-zero (pieces of
  // about a tenth of a second), else as fast as the socket takes them. False on any error.
  bool send_file(Connection& c, int fd, std::uint64_t offset, std::uint64_t length,
                 std::vector<char>& chunk, std::uint64_t bytes_per_second) {
    std::uint64_t piece = chunk.size();
    if (bytes_per_second != 0) piece = std::clamp<std::uint64_t>(bytes_per_second / 10, 1, piece);
    const auto start = Clock::now();
    std::uint64_t sent = 0;
    while (sent < length) {
      if (bytes_per_second != 0 && sent != 0) {
        const std::chrono::duration<double> due(static_cast<double>(sent) /
                                                static_cast<double>(bytes_per_second));
        if (!sleep_until(start + std::chrono::duration_cast<Clock::duration>(due))) return false;
      }
      const auto want = static_cast<std::size_t>(std::min(piece, length - sent));
      const ssize_t got = ::pread(fd, chunk.data(), want, static_cast<off_t>(offset + sent));
      if (got <= 0) return false;  // error, or the file shrank under us
      boost::system::error_code ec;
      asio::write(c.socket, asio::buffer(chunk.data(), static_cast<std::size_t>(got)), ec);
      if (ec) return false;
      sent += static_cast<std::uint64_t>(got);
    }
    return true;
  }
};

HttpServer::HttpServer(std::filesystem::path root)
    : impl_(std::make_unique<Impl>(std::move(root))) {}

HttpServer::~HttpServer() = default;

std::uint16_t HttpServer::port() const {
  return impl_->port;
}

std::string HttpServer::url(std::string_view path) const {
  while (path.starts_with('/')) {
    path.remove_prefix(1);
  }
  return "http://127.0.0.1:" + std::to_string(impl_->port) + "/" + std::string(path);
}

void HttpServer::set_fault(HttpFaultOptions options) {
  const std::lock_guard lock(impl_->mutex);
  impl_->fault = std::move(options);
}

std::vector<HttpRequestRecord> HttpServer::requests() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

void HttpServer::clear_requests() {
  const std::lock_guard lock(impl_->mutex);
  impl_->requests.clear();
}

}  // namespace ratchet::test
