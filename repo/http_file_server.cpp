#include "repo/http_file_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
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

#include "repo/http_paths.hpp"
#include "common/fd.hpp"
#include "common/file.hpp"

namespace ratchet::repo {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Request = http::request<http::string_body>;

constexpr std::size_t kChunk = std::size_t{64} * 1024;

// Boost 1.74's beast::string_view is boost::string_view.
std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace

struct HttpFileServer::Impl {
  struct Connection {
    explicit Connection(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    bool closed = false;  // guarded by Impl::mutex, so that shutdown never hits a reused fd
    std::atomic<bool> done{false};
    std::atomic<bool> waiting{true};  // for the header of its next request (evictable)
    // When the reaper shuts it down (Clock ticks since its epoch); 0: no deadline.
    std::atomic<Clock::rep> deadline{0};
    std::thread thread;
  };

  HttpServerOptions options;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  tcp::endpoint endpoint;

  mutable std::mutex mutex;
  std::condition_variable cv;
  bool stopping = false;
  HttpFaultOptions fault;
  std::vector<HttpRequestRecord> requests;
  std::list<std::unique_ptr<Connection>> connections;  // oldest first
  std::thread accept_thread;
  std::thread reaper_thread;

  explicit Impl(HttpServerOptions o) : options(std::move(o)) {}

  Status listen() {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options.bind, ec);
    if (ec) return fail(Code::InvalidArgument, "bind address '{}': {}", options.bind, ec.message());
    const tcp::endpoint wanted(address, options.port);
    if (acceptor.open(wanted.protocol(), ec); !ec)
      if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); !ec)
        if (acceptor.bind(wanted, ec); !ec)
          acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return fail(Code::Network, "listening on {} port {}: {}", options.bind, options.port,
                  ec.message());
    endpoint = acceptor.local_endpoint(ec);
    if (ec) return fail(Code::Network, "listening socket: {}", ec.message());
    accept_thread = std::thread([this] { accept_loop(); });
    if (options.idle_timeout.count() > 0 || options.request_timeout.count() > 0)
      reaper_thread = std::thread([this] { reap_loop(); });
    return {};
  }

  ~Impl() {
    {
      const std::lock_guard lock(mutex);
      stopping = true;
    }
    cv.notify_all();
    if (reaper_thread.joinable()) reaper_thread.join();
    if (accept_thread.joinable()) {
      // Wakes the blocking accept() (Linux returns EINVAL); no new connection is added after this.
      ::shutdown(acceptor.native_handle(), SHUT_RDWR);
      accept_thread.join();
    }
    {
      // Wakes every connection blocked in recv() or send(); a client that stopped reading
      // mid-body cannot keep a thread here.
      const std::lock_guard lock(mutex);
      for (auto& c : connections)
        if (!c->closed) ::shutdown(c->socket.native_handle(), SHUT_RDWR);
    }
    for (auto& c : connections)
      c->thread.join();
    boost::system::error_code ec;
    acceptor.close(ec);
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

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

  // Sets when `c` is closed unless it makes progress: `after` from now, or never (0).
  static void arm(Connection& c, std::chrono::milliseconds after) {
    c.deadline.store(after.count() > 0 ? (Clock::now() + after).time_since_epoch().count() : 0);
  }

  // Shuts down every connection past its deadline (its thread then sees an error and ends).
  void reap_loop() noexcept {
    std::chrono::milliseconds shortest = std::chrono::seconds(1);
    for (const auto t : {options.idle_timeout, options.request_timeout})
      if (t.count() > 0) shortest = std::min(shortest, t);
    const auto tick =
        std::clamp(shortest / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
    std::unique_lock lock(mutex);
    while (!cv.wait_for(lock, tick, [this] { return stopping; })) {
      const auto now = Clock::now().time_since_epoch().count();
      for (auto& c : connections) {
        const auto deadline = c->deadline.load();
        if (!c->closed && deadline != 0 && now >= deadline)
          ::shutdown(c->socket.native_handle(), SHUT_RDWR);
      }
    }
  }

  // Makes room for one more connection under max_connections: joins the finished ones, then
  // closes the one that has waited longest for a request. False when every one is busy.
  bool make_room() {
    Connection* victim = nullptr;
    {
      const std::lock_guard lock(mutex);
      // Joins the connections that have finished, so a long run does not pile up threads.
      std::erase_if(connections, [](std::unique_ptr<Connection>& c) {
        if (!c->done.load()) return false;
        c->thread.join();
        return true;
      });
      if (options.max_connections == 0 || connections.size() < options.max_connections) return true;
      for (auto& c : connections)
        if (c->waiting.load() && !c->closed) {
          victim = c.get();
          break;
        }
      if (victim == nullptr) return false;
      ::shutdown(victim->socket.native_handle(), SHUT_RDWR);
    }
    victim->thread.join();  // prompt: its recv() has returned; it takes the mutex to close
    const std::lock_guard lock(mutex);
    connections.remove_if(
        [victim](const std::unique_ptr<Connection>& c) { return c.get() == victim; });
    return true;
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
        if (!make_room()) {
          socket.close(ec);  // every connection is busy: refused
          continue;
        }
        const std::lock_guard lock(mutex);
        if (stopping) return;
        socket.set_option(tcp::no_delay(true), ec);
        auto& c = *connections.emplace_back(std::make_unique<Connection>(std::move(socket)));
        arm(c, options.idle_timeout);
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
        http::request_parser<http::string_body> parser;
        parser.body_limit(options.max_put_body);
        boost::system::error_code ec;
        http::read_header(c.socket, buffer, parser, ec);
        c.waiting.store(false);
        arm(c, options.request_timeout);
        // A declared body over the limit is refused before it is sent (a client waiting on
        // "Expect: 100-continue" never sends it); Beast reports it as body_limit already here.
        if (ec == http::error::body_limit) {
          (void)simple(c, parser.get(), http::status::payload_too_large, "body too large\n", false);
          break;
        }
        if (ec) break;
        if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
          http::response<http::empty_body> go_on{http::status::continue_, 11};
          http::write(c.socket, go_on, ec);
          if (ec) break;
        }
        if (!parser.is_done()) http::read(c.socket, buffer, parser, ec);
        if (ec == http::error::body_limit) {
          (void)simple(c, parser.get(), http::status::payload_too_large, "body too large\n", false);
          break;
        }
        arm(c, options.idle_timeout);
        if (ec || !respond(c, parser.get(), chunk)) break;
        arm(c, options.idle_timeout);
        c.waiting.store(true);
      }
    } catch (...) {
      // A client hanging up, or anything else: this connection is over.
    }
    close(c);
    c.done.store(true);
  }

  // A short text answer; false when the connection must be closed afterwards.
  static bool simple(Connection& c, const Request& req, http::status status, std::string body,
                     bool keep_alive) {
    http::response<http::string_body> res{status, 11};
    const unsigned code = res.result_int();
    if (code < 200 || code == 204 || code == 304) body.clear();  // these never have a body
    const bool head = req.method() == http::verb::head;
    res.set(http::field::content_type, "text/plain");
    res.keep_alive(keep_alive);
    res.body() = head ? std::string() : body;
    res.prepare_payload();
    if (head && !body.empty()) res.content_length(body.size());
    boost::system::error_code ec;
    http::write(c.socket, res, ec);
    return !ec && keep_alive;
  }

  // Writes the response; false when the connection must be closed afterwards.
  bool respond(Connection& c, const Request& req, std::vector<char>& chunk) {
    const std::string target(sv(req.target()));
    HttpFaultOptions opt;
    {
      const std::lock_guard lock(mutex);
      if (options.record_requests)
        requests.push_back({std::string(sv(req.method_string())), target,
                            std::string(sv(req[http::field::range]))});
      opt = fault;
    }
    if (!opt.only_path.empty() && !target_matches(target, opt.only_path))
      opt.fault = HttpFault::None;
    const bool head = req.method() == http::verb::head;
    const bool keep = req.keep_alive();
    const auto path = decode_request_path(target);

    if (req.method() == http::verb::put && options.put) {
      if (!path) return simple(c, req, http::status::not_found, "not found\n", keep);
      const unsigned status = options.put(*path, req.body());
      return simple(c, req, static_cast<http::status>(status), "", keep);
    }
    if (req.method() != http::verb::get && !head)
      return simple(c, req, http::status::method_not_allowed, "only GET and HEAD\n", keep);
    if (opt.fault == HttpFault::Status) {
      const auto status = static_cast<http::status>(opt.status);
      return simple(c, req, status, std::to_string(opt.status) + " (fault injected)\n", keep);
    }
    if (!path) return simple(c, req, http::status::not_found, "not found\n", keep);
    if (opt.fault == HttpFault::Endless) return send_endless(c, head, chunk);

    const auto file = options.resolve ? options.resolve(*path) : std::nullopt;
    // A FIFO or device under the served tree must not hang this thread in open(): 404.
    auto fd = file ? open_regular_file(*file) : Result<UniqueFd>(fail(Code::NotFound, "no file"));
    struct stat st {};
    if (!fd || ::fstat(fd->get(), &st) != 0)
      return simple(c, req, http::status::not_found, "not found\n", keep);
    const auto size = static_cast<std::uint64_t>(st.st_size);

    RangeRequest range;
    if (opt.fault != HttpFault::IgnoreRange && req.count(http::field::range) != 0)
      range = parse_range(sv(req[http::field::range]), size);
    if (range.kind == RangeRequest::Kind::Unsatisfiable) {
      http::response<http::string_body> res{http::status::range_not_satisfiable, 11};
      res.set(http::field::content_range, "bytes */" + std::to_string(size));
      res.keep_alive(keep);
      res.prepare_payload();
      boost::system::error_code ec;
      http::write(c.socket, res, ec);
      return !ec && keep;
    }
    return send_file_response(c, head, keep, fd->get(), size, range, opt, chunk);
  }

  bool send_endless(Connection& c, bool head, std::vector<char>& chunk) {
    http::response<http::empty_body> res{http::status::ok, 11};
    res.set(http::field::content_type, "application/octet-stream");
    res.keep_alive(false);
    boost::system::error_code ec;
    http::write(c.socket, res, ec);
    if (ec || head) return false;
    for (std::size_t i = 0; i < chunk.size(); ++i)
      chunk[i] = static_cast<char>('a' + i % 26);
    while (!ec) {
      asio::write(c.socket, asio::buffer(chunk), ec);
      arm(c, options.idle_timeout);
    }
    return false;
  }

  bool send_file_response(Connection& c, bool head, bool keep, int fd, std::uint64_t size,
                          const RangeRequest& range, const HttpFaultOptions& opt,
                          std::vector<char>& chunk) {
    const bool partial = range.kind == RangeRequest::Kind::Part;
    const std::uint64_t offset = partial ? range.range.first : 0;
    const std::uint64_t length = partial ? range.range.last - range.range.first + 1 : size;
    const bool cut = opt.fault == HttpFault::Truncate || opt.fault == HttpFault::Stall ||
                     opt.fault == HttpFault::LongLength || opt.fault == HttpFault::Drop;
    const bool keep_alive = keep && !cut;

    http::response<http::empty_body> res{partial ? http::status::partial_content : http::status::ok,
                                         11};
    res.set(http::field::content_type, "application/octet-stream");
    res.set(http::field::accept_ranges, "bytes");
    if (partial)
      res.set(http::field::content_range, "bytes " + std::to_string(range.range.first) + "-" +
                                              std::to_string(range.range.last) + "/" +
                                              std::to_string(size));
    res.content_length(opt.fault == HttpFault::LongLength ? length + opt.truncate_after : length);
    res.keep_alive(keep_alive);
    boost::system::error_code ec;
    http::write(c.socket, res, ec);
    if (ec) return false;
    if (head) return keep_alive;

    switch (opt.fault) {
      case HttpFault::Truncate:
        send_file(c, fd, offset, std::min(length, opt.truncate_after), chunk, 0);
        return false;  // serve() closes the socket
      case HttpFault::Drop:
        send_file(c, fd, offset, length / 2, chunk, 0);
        return false;
      case HttpFault::LongLength:
        send_file(c, fd, offset, length, chunk, 0);
        return false;
      case HttpFault::Stall: {
        if (!send_file(c, fd, offset, std::min(length, opt.truncate_after), chunk, 0)) return false;
        // Silence until the client hangs up or the server stops (shutdown() ends the read); the
        // stall is the point, so no deadline.
        arm(c, std::chrono::milliseconds(0));
        std::array<char, 512> sink{};
        while (!ec)
          c.socket.read_some(asio::buffer(sink), ec);
        return false;
      }
      case HttpFault::Slow:
        return send_file(c, fd, offset, length, chunk,
                         std::max<std::uint64_t>(opt.bytes_per_second, 1)) &&
               keep_alive;
      default:
        return send_file(c, fd, offset, length, chunk, 0) && keep_alive;
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
      arm(c, options.idle_timeout);  // the client takes bytes: not idle
      sent += static_cast<std::uint64_t>(got);
    }
    return true;
  }
};

Result<std::unique_ptr<HttpFileServer>> HttpFileServer::start(HttpServerOptions options) {
  try {
    auto impl = std::make_unique<Impl>(std::move(options));
    RATCHET_TRY(impl->listen());
    return std::unique_ptr<HttpFileServer>(new HttpFileServer(std::move(impl)));
  } catch (const std::exception& e) {
    return fail(Code::Network, "HTTP server: {}", e.what());
  }
}

HttpFileServer::HttpFileServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpFileServer::~HttpFileServer() = default;

std::uint16_t HttpFileServer::port() const {
  return impl_->endpoint.port();
}

std::string HttpFileServer::base_url() const {
  const auto address = impl_->endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return "http://" + host + ":" + std::to_string(port());
}

void HttpFileServer::set_fault(HttpFaultOptions options) {
  const std::lock_guard lock(impl_->mutex);
  impl_->fault = std::move(options);
}

std::vector<HttpRequestRecord> HttpFileServer::requests() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

void HttpFileServer::clear_requests() {
  const std::lock_guard lock(impl_->mutex);
  impl_->requests.clear();
}

}  // namespace ratchet::repo
