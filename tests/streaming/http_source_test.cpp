// The HTTP source against the project's Beast server on loopback, in each of its fault modes.
#include "streaming/http_source.hpp"

#include <gtest/gtest.h>

#include "streaming/install.hpp"
#include "streaming/memory_sink.hpp"
#include "tests/support/data.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet::streaming {
namespace {

using test::HttpFault;
using test::HttpFaultOptions;

class HttpSourceTest : public ::testing::Test {
 protected:
  test::TempDir dir;
  test::Bytes image = test::random_bytes(6u << 20, 41);
  std::unique_ptr<test::HttpServer> server;
  ChunkList chunks;

  void SetUp() override {
    std::filesystem::create_directories(dir / "www");
    test::write_bytes(dir / "www" / "image.bin", image);
    server = std::make_unique<test::HttpServer>(dir / "www");
    chunks = ChunkList::of_bytes(image, 64 * 1024).value();
  }

  static HttpOptions fast_options() {
    HttpOptions o;
    o.retries = 0;
    o.backoff = std::chrono::milliseconds(10);
    o.min_rate = 64 * 1024;
    o.low_speed_time = std::chrono::seconds(1);
    o.connect_timeout = std::chrono::seconds(5);
    return o;
  }

  InstallRequest request() {
    InstallRequest r;
    r.name = "image.bin";
    r.image_length = image.size();
    r.image_digests.sha256 = test::sha256(image);
    r.chunks = &chunks;
    r.target = dir / "slot";
    r.writer.head_size = 64 * 1024;
    r.writer.create = true;
    r.checkpoint = dir / "ckpt";
    r.checkpoint_interval = 1u << 20;
    return r;
  }

  bool slot_holds_image() {
    const auto slot = test::read_bytes(dir / "slot");
    return slot.size() >= image.size() && std::memcmp(slot.data(), image.data(), image.size()) == 0;
  }
};

TEST_F(HttpSourceTest, DownloadsAndInstalls) {
  HttpSource source(server->url("image.bin"), fast_options());
  auto report = install(source, request());
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_TRUE(slot_holds_image());
  ASSERT_EQ(server->requests().size(), 1U);
  EXPECT_EQ(server->requests()[0].range, "");
}

TEST_F(HttpSourceTest, DroppedConnectionIsRetriedWithARangeRequest) {
  server->set_fault({.fault = HttpFault::Truncate, .truncate_after = 2u << 20});
  auto o = fast_options();
  o.retries = 1;
  // The first response breaks off after 2 MiB; the retry asks for the rest. Faults apply to
  // every request, so clear it once the first request is in.
  std::thread clear([&] {
    while (server->requests().empty())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server->set_fault({});
  });
  HttpSource source(server->url("image.bin"), o);
  auto report = install(source, request());
  clear.join();
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_TRUE(slot_holds_image());
  const auto reqs = server->requests();
  ASSERT_GE(reqs.size(), 2U);
  EXPECT_EQ(reqs[1].range, "bytes=2097152-");
}

TEST_F(HttpSourceTest, AfterAPowerCutTheRestartAsksForARangeNotTheWholeFile) {
  server->set_fault({.fault = HttpFault::Truncate, .truncate_after = 3u << 20});
  {
    HttpSource source(server->url("image.bin"), fast_options());
    auto failed = install(source, request());
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code(), Code::Network) << failed.error().to_string();
  }
  ASSERT_TRUE(std::filesystem::exists(dir / "ckpt"));  // transient: the progress is kept
  server->set_fault({});
  server->clear_requests();
  HttpSource source(server->url("image.bin"), fast_options());
  auto report = install(source, request());
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_TRUE(report->resumed);
  EXPECT_TRUE(slot_holds_image());
  ASSERT_EQ(server->requests().size(), 1U);
  EXPECT_TRUE(server->requests()[0].range.starts_with("bytes=")) << server->requests()[0].range;
  EXPECT_NE(server->requests()[0].range, "bytes=0-");
  EXPECT_LT(report->payload_bytes_read, image.size());
}

TEST_F(HttpSourceTest, ServerIgnoringRangesStillGivesTheRightBytes) {
  server->set_fault({.fault = HttpFault::IgnoreRange});
  HttpSource source(server->url("image.bin"), fast_options());
  MemorySink out(64u << 20);
  ASSERT_TRUE(source.read_into(1000, out));
  ASSERT_EQ(out.data().size(), image.size() - 1000);
  EXPECT_EQ(std::memcmp(out.data().data(), image.data() + 1000, out.data().size()), 0);
}

TEST_F(HttpSourceTest, SlowRetrievalIsAbandoned) {
  server->set_fault({.fault = HttpFault::Slow, .bytes_per_second = 2048});
  HttpSource source(server->url("image.bin"), fast_options());
  auto r = install(source, request());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::SlowRetrieval) << r.error().to_string();
}

TEST_F(HttpSourceTest, StalledTransferIsAbandoned) {
  server->set_fault({.fault = HttpFault::Stall, .truncate_after = 100000});
  HttpSource source(server->url("image.bin"), fast_options());
  auto r = install(source, request());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::SlowRetrieval) << r.error().to_string();
}

TEST_F(HttpSourceTest, EndlessDataStopsAtTheExpectedLength) {
  server->set_fault({.fault = HttpFault::Endless});
  HttpSource source(server->url("image.bin"), fast_options());
  auto r = request();
  r.chunks = nullptr;
  auto result = install(source, r);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), Code::TooLarge) << result.error().to_string();
}

TEST_F(HttpSourceTest, ServerErrorsAreRetriedThenReported) {
  server->set_fault({.fault = HttpFault::Status, .status = 503});
  auto o = fast_options();
  o.retries = 2;
  HttpSource source(server->url("image.bin"), o);
  MemorySink out(1 << 20);
  auto r = source.read_into(0, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::HttpStatus);
  EXPECT_NE(r.error().message().find("503"), std::string::npos);
  EXPECT_EQ(server->requests().size(), 3U);
  EXPECT_TRUE(out.data().empty());  // an error page never reaches the sink
}

TEST_F(HttpSourceTest, NotFoundIsNotRetried) {
  auto o = fast_options();
  o.retries = 3;
  HttpSource source(server->url("missing.bin"), o);
  MemorySink out(1 << 20);
  auto r = source.read_into(0, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::HttpStatus);
  EXPECT_EQ(server->requests().size(), 1U);
}

TEST_F(HttpSourceTest, NothingListeningIsANetworkError) {
  const std::string url = server->url("image.bin");
  server.reset();
  HttpSource source(url, fast_options());
  MemorySink out(1 << 20);
  auto r = source.read_into(0, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::Network);
  EXPECT_TRUE(is_transient(r.error()));
}

}  // namespace
}  // namespace ratchet::streaming
