#include "tests/support/http_server.hpp"

#include <chrono>
#include <cstdint>
#include <fstream>
#include <future>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/handles/curl.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet::test {
namespace {

constexpr std::size_t kBigSize = 3 * 1024 * 1024 + 123;  // several 64 KiB pieces, and a tail
constexpr std::size_t kSmallSize = 16 * 1024;

std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  std::uint32_t x = 12345;
  for (auto& c : s) {
    x = x * 1103515245U + 12345U;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

void write_file(const std::filesystem::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good());
}

struct FetchOptions {
  std::string range{};  // CURLOPT_RANGE, e.g. "100-199"
  bool head = false;
  std::size_t max_bytes = std::numeric_limits<std::size_t>::max();
  long low_speed_limit = 0;  // bytes per second, over low_speed_time seconds
  long low_speed_time = 0;
  bool path_as_is = false;
};

struct FetchResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::vector<std::string> headers;
  curl_off_t content_length = -1;
  long connects = 0;

  // The value of header `name` (case-insensitive), or "" when absent.
  [[nodiscard]] std::string header(std::string_view name) const {
    for (const auto& line : headers) {
      if (line.size() > name.size() && line[name.size()] == ':' &&
          ::strncasecmp(line.data(), name.data(), name.size()) == 0) {
        std::string value = line.substr(name.size() + 1);
        value.erase(0, value.find_first_not_of(' '));
        value.erase(value.find_last_not_of("\r\n ") + 1);
        return value;
      }
    }
    return {};
  }
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<std::pair<FetchResult*, std::size_t>*>(user);
  const std::size_t n = size * count;
  if (state->first->body.size() + n > state->second) return 0;  // CURLE_WRITE_ERROR
  state->first->body.append(data, n);
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  static_cast<FetchResult*>(user)->headers.emplace_back(data, size * count);
  return size * count;
}

// Runs one transfer on `easy` (a fresh handle when null).
FetchResult fetch(const std::string& url, const FetchOptions& options = {}, CURL* easy = nullptr) {
  curl::Easy owned;
  if (easy == nullptr) {
    owned.reset(curl_easy_init());
    easy = owned.get();
  }
  FetchResult result;
  std::pair<FetchResult*, std::size_t> state{&result, options.max_bytes};
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROXY, "");  // never an http_proxy from the environment
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT, 30L);  // a hung test fails instead of hanging
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &result);
  curl_easy_setopt(easy, CURLOPT_NOBODY, options.head ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_RANGE, options.range.empty() ? nullptr : options.range.c_str());
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, options.low_speed_limit);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, options.low_speed_time);
  curl_easy_setopt(easy, CURLOPT_PATH_AS_IS, options.path_as_is ? 1L : 0L);
  result.code = curl_easy_perform(easy);
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &result.status);
  curl_easy_getinfo(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &result.content_length);
  curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &result.connects);
  return result;
}

// Destroys `server` on another thread; false when that took longer than `limit` (the thread is
// then left behind rather than hanging the test).
bool destroys_within(std::unique_ptr<HttpServer> server, std::chrono::seconds limit) {
  std::promise<void> done;
  auto future = done.get_future();
  std::thread([s = std::move(server), d = std::move(done)]() mutable {
    s.reset();
    d.set_value();
  }).detach();
  return future.wait_for(limit) == std::future_status::ready;
}

// A raw client that sends a request and then never reads the answer.
class StuckClient {
 public:
  StuckClient(std::uint16_t port, const std::string& request) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 &&
                 ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&
                 ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) ==
                     static_cast<ssize_t>(request.size());
  }
  StuckClient(const StuckClient&) = delete;
  StuckClient& operator=(const StuckClient&) = delete;
  ~StuckClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] bool connected() const { return connected_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class HttpServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }

  void SetUp() override {
    write_file(dir_ / "big.bin", big_);
    write_file(dir_ / "small.bin", small_);
    std::filesystem::create_directory(dir_ / "sub");
    write_file(dir_ / "sub" / "inner.txt", "inner\n");
    server_ = std::make_unique<HttpServer>(dir_.path());
  }

  TempDir dir_;
  const std::string big_ = pattern(kBigSize);
  const std::string small_ = pattern(kSmallSize);
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, UrlNamesLoopbackAndPort) {
  EXPECT_NE(server_->port(), 0);
  EXPECT_EQ(server_->url("a/b.bin"),
            "http://127.0.0.1:" + std::to_string(server_->port()) + "/a/b.bin");
  EXPECT_EQ(server_->url(), "http://127.0.0.1:" + std::to_string(server_->port()) + "/");
}

TEST_F(HttpServerTest, GetReturnsTheWholeFile) {
  const auto r = fetch(server_->url("big.bin"));
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_length, static_cast<curl_off_t>(kBigSize));
  EXPECT_TRUE(r.body == big_) << "body differs, size " << r.body.size();
  EXPECT_EQ(fetch(server_->url("sub/inner.txt")).body, "inner\n");
}

TEST_F(HttpServerTest, KeepAliveReusesTheConnection) {
  curl::Easy easy(curl_easy_init());
  const auto first = fetch(server_->url("small.bin"), {}, easy.get());
  const auto second = fetch(server_->url("big.bin"), {}, easy.get());
  ASSERT_EQ(first.code, CURLE_OK);
  ASSERT_EQ(second.code, CURLE_OK);
  EXPECT_EQ(first.connects, 1);
  EXPECT_EQ(second.connects, 0);  // reused
  EXPECT_TRUE(second.body == big_);
}

TEST_F(HttpServerTest, ServesConcurrentClients) {
  std::vector<std::future<FetchResult>> results;
  for (int i = 0; i < 4; ++i) {
    results.push_back(
        std::async(std::launch::async, [&] { return fetch(server_->url("big.bin")); }));
  }
  for (auto& f : results) {
    const auto r = f.get();
    EXPECT_EQ(r.code, CURLE_OK);
    EXPECT_TRUE(r.body == big_);
  }
  EXPECT_EQ(server_->requests().size(), 4U);
}

TEST_F(HttpServerTest, HeadGivesTheLengthWithoutABody) {
  curl::Easy easy(curl_easy_init());
  const auto head = fetch(server_->url("big.bin"), {.head = true}, easy.get());
  ASSERT_EQ(head.code, CURLE_OK);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.content_length, static_cast<curl_off_t>(kBigSize));
  EXPECT_TRUE(head.body.empty());
  // Had the server sent a body after HEAD, it would be read as the next response.
  const auto get = fetch(server_->url("small.bin"), {}, easy.get());
  EXPECT_EQ(get.code, CURLE_OK);
  EXPECT_EQ(get.connects, 0);
  EXPECT_TRUE(get.body == small_);
  const auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].method, "HEAD");
  EXPECT_EQ(requests[1].method, "GET");
}

TEST_F(HttpServerTest, MissingFileIs404) {
  EXPECT_EQ(fetch(server_->url("nope.bin")).status, 404);
  EXPECT_EQ(fetch(server_->url("sub")).status, 404);  // a directory is not a file
}

TEST_F(HttpServerTest, DotDotIs404) {
  // Without PATH_AS_IS curl would resolve the ".." itself before sending.
  EXPECT_EQ(fetch(server_->url("sub/../small.bin"), {.path_as_is = true}).status, 404);
  EXPECT_EQ(fetch(server_->url("../small.bin"), {.path_as_is = true}).status, 404);
  EXPECT_EQ(fetch(server_->url("sub/%2e%2e/small.bin"), {.path_as_is = true}).status, 404);
  const auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[0].target, "/sub/../small.bin");
}

TEST_F(HttpServerTest, RangeGives206WithContentRange) {
  const auto r = fetch(server_->url("big.bin"), {.range = "100000-299999"});
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.header("Content-Range"), "bytes 100000-299999/" + std::to_string(kBigSize));
  EXPECT_EQ(r.content_length, 200000);
  EXPECT_TRUE(r.body == big_.substr(100000, 200000));
}

TEST_F(HttpServerTest, RangePastTheEndIsClamped) {
  const auto r = fetch(server_->url("small.bin"), {.range = "16000-99999"});
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.header("Content-Range"), "bytes 16000-16383/16384");
  EXPECT_TRUE(r.body == small_.substr(16000));
}

TEST_F(HttpServerTest, OpenEndedRange) {
  const auto r = fetch(server_->url("big.bin"), {.range = "1000000-"});
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.header("Content-Range"),
            "bytes 1000000-" + std::to_string(kBigSize - 1) + "/" + std::to_string(kBigSize));
  EXPECT_TRUE(r.body == big_.substr(1000000));
}

TEST_F(HttpServerTest, SuffixRange) {
  const auto r = fetch(server_->url("small.bin"), {.range = "-100"});
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.header("Content-Range"), "bytes 16284-16383/16384");
  EXPECT_TRUE(r.body == small_.substr(kSmallSize - 100));
}

TEST_F(HttpServerTest, UnsatisfiableRangeIs416) {
  const auto r = fetch(server_->url("small.bin"), {.range = std::to_string(kSmallSize) + "-"});
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 416);
  EXPECT_EQ(r.header("Content-Range"), "bytes */16384");
  EXPECT_TRUE(r.body.empty());
}

TEST_F(HttpServerTest, IgnoreRangeSendsTheWholeFile) {
  server_->set_fault({.fault = HttpFault::IgnoreRange});
  const auto r = fetch(server_->url("big.bin"), {.range = "100-199"});
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.header("Content-Range").empty());
  EXPECT_TRUE(r.body == big_);
}

TEST_F(HttpServerTest, TruncateIsAPartialFile) {
  server_->set_fault({.fault = HttpFault::Truncate, .truncate_after = 100000});
  const auto r = fetch(server_->url("big.bin"));
  EXPECT_EQ(r.code, CURLE_PARTIAL_FILE);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_length, static_cast<curl_off_t>(kBigSize));
  EXPECT_TRUE(r.body == big_.substr(0, 100000)) << "got " << r.body.size() << " bytes";
}

TEST_F(HttpServerTest, EndlessIsStoppedByTheClient) {
  server_->set_fault({.fault = HttpFault::Endless});
  const auto r = fetch(server_->url("small.bin"), {.max_bytes = 5 * 1024 * 1024});
  EXPECT_EQ(r.code, CURLE_WRITE_ERROR);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_length, -1);  // no Content-Length
  EXPECT_GT(r.body.size(), 4U * 1024 * 1024);
  EXPECT_TRUE(destroys_within(std::move(server_), std::chrono::seconds(10)));
}

TEST_F(HttpServerTest, DestructorReturnsWithAClientStuckMidBody) {
  server_->set_fault({.fault = HttpFault::Endless});
  const StuckClient endless(server_->port(), "GET /small.bin HTTP/1.1\r\nHost: x\r\n\r\n");
  for (int i = 0; i < 200 && server_->requests().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  server_->set_fault({});
  const StuckClient big(server_->port(), "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
  const StuckClient idle(server_->port(), "");
  ASSERT_TRUE(endless.connected());
  ASSERT_TRUE(big.connected());
  ASSERT_TRUE(idle.connected());
  // Let the server fill the socket buffers and block in send().
  for (int i = 0; i < 200 && server_->requests().size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(server_->requests().size(), 2U);
  EXPECT_TRUE(destroys_within(std::move(server_), std::chrono::seconds(10)));
}

TEST_F(HttpServerTest, SlowIsCaughtByTheLowSpeedLimit) {
  server_->set_fault({.fault = HttpFault::Slow});  // 1024 bytes per second
  const auto r =
      fetch(server_->url("big.bin"), {.low_speed_limit = 100 * 1024, .low_speed_time = 1});
  EXPECT_EQ(r.code, CURLE_OPERATION_TIMEDOUT);
  EXPECT_EQ(r.status, 200);
  EXPECT_GT(r.body.size(), 0U);
  EXPECT_LT(r.body.size(), 100U * 1024);
  EXPECT_TRUE(r.body == big_.substr(0, r.body.size()));
}

TEST_F(HttpServerTest, SlowStillDeliversTheRightBytes) {
  server_->set_fault({.fault = HttpFault::Slow, .bytes_per_second = 64 * 1024});
  const auto r = fetch(server_->url("small.bin"), {.range = "1000-"});  // about a quarter second
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 206);
  EXPECT_TRUE(r.body == small_.substr(1000));
}

// curl averages the speed over the last few seconds, so a limit of 1 byte per second would take
// about 6 s to trip after the first 5000 bytes; 10 KiB/s trips after 1 s.
TEST_F(HttpServerTest, StallIsCaughtByTheLowSpeedLimit) {
  server_->set_fault({.fault = HttpFault::Stall, .truncate_after = 5000});
  const auto r =
      fetch(server_->url("big.bin"), {.low_speed_limit = 10 * 1024, .low_speed_time = 1});
  EXPECT_EQ(r.code, CURLE_OPERATION_TIMEDOUT);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_length, static_cast<curl_off_t>(kBigSize));
  EXPECT_TRUE(r.body == big_.substr(0, 5000)) << "got " << r.body.size() << " bytes";
}

TEST_F(HttpServerTest, StallDoesNotHoldUpTheDestructor) {
  server_->set_fault({.fault = HttpFault::Stall, .truncate_after = 10});
  const StuckClient client(server_->port(), "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 200 && server_->requests().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server_->requests().size(), 1U);
  EXPECT_TRUE(destroys_within(std::move(server_), std::chrono::seconds(10)));
}

TEST_F(HttpServerTest, StatusFault) {
  server_->set_fault({.fault = HttpFault::Status});
  auto r = fetch(server_->url("small.bin"));
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 503);
  EXPECT_FALSE(r.body.empty());
  EXPECT_TRUE(r.body != small_);

  server_->set_fault({.fault = HttpFault::Status, .status = 404});
  r = fetch(server_->url("small.bin"));
  EXPECT_EQ(r.status, 404);

  server_->set_fault({});
  r = fetch(server_->url("small.bin"));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body == small_);
}

TEST_F(HttpServerTest, OnlyPathLimitsTheFault) {
  server_->set_fault({.fault = HttpFault::Status, .only_path = "small.bin"});
  EXPECT_EQ(fetch(server_->url("small.bin")).status, 503);
  const auto other = fetch(server_->url("sub/inner.txt"));
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.body, "inner\n");

  server_->set_fault({.fault = HttpFault::Status, .only_path = "/sub/inner.txt"});
  EXPECT_EQ(fetch(server_->url("sub/inner.txt")).status, 503);
  EXPECT_EQ(fetch(server_->url("small.bin")).status, 200);
}

TEST_F(HttpServerTest, RequestsAreRecordedInOrder) {
  (void)fetch(server_->url("small.bin"));
  (void)fetch(server_->url("big.bin"), {.range = "10-19"});
  (void)fetch(server_->url("nope.bin"), {.head = true});
  auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/small.bin");
  EXPECT_EQ(requests[0].range, "");
  EXPECT_EQ(requests[1].target, "/big.bin");
  EXPECT_EQ(requests[1].range, "bytes=10-19");
  EXPECT_EQ(requests[2].method, "HEAD");
  EXPECT_EQ(requests[2].target, "/nope.bin");

  server_->clear_requests();
  EXPECT_TRUE(server_->requests().empty());
  (void)fetch(server_->url("small.bin"));
  EXPECT_EQ(server_->requests().size(), 1U);
}

}  // namespace
}  // namespace ratchet::test
