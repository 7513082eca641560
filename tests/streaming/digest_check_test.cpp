#include "streaming/digest_check.hpp"

#include <gtest/gtest.h>

#include "streaming/memory_sink.hpp"
#include "tests/support/data.hpp"

namespace ratchet::streaming {
namespace {

ExpectedDigests sha256_of(std::span<const std::byte> d) {
  return ExpectedDigests{digest_of(HashAlgorithm::Sha256, d), std::nullopt};
}

TEST(DigestCheck, PassesBytesThroughAndVerifiesAtFinish) {
  const auto data = test::random_bytes(10000, 1);
  MemorySink out(1 << 20);
  ExpectedDigests both{digest_of(HashAlgorithm::Sha256, data),
                       digest_of(HashAlgorithm::Sha512, data)};
  DigestCheck check(out, "payload p", data.size(), both);
  ASSERT_TRUE(check.write(std::span(data).first(3333)));
  ASSERT_TRUE(check.write(std::span(data).subspan(3333)));
  ASSERT_TRUE(check.finish());
  EXPECT_TRUE(out.finished());
  EXPECT_EQ(out.data().size(), data.size());
}

TEST(DigestCheck, EndlessDataStopsAtTheBoundBeforeForwarding) {
  const auto data = test::random_bytes(100, 2);
  MemorySink out(1 << 20);
  DigestCheck check(out, "payload p", 64, sha256_of(data));
  ASSERT_TRUE(check.write(std::span(data).first(60)));
  auto r = check.write(std::span(data).subspan(60, 10));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::TooLarge);
  EXPECT_EQ(r.error().message(), "payload p: more than the expected 64 bytes");
  EXPECT_EQ(out.data().size(), 60U);  // nothing past the bound went on
}

TEST(DigestCheck, TruncatedIsLengthMismatchAndNextIsNotFinished) {
  const auto data = test::random_bytes(100, 3);
  MemorySink out(1 << 20);
  DigestCheck check(out, "payload p", 100, sha256_of(data));
  ASSERT_TRUE(check.write(std::span(data).first(99)));
  auto r = check.finish();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::LengthMismatch);
  EXPECT_FALSE(out.finished());
}

TEST(DigestCheck, WrongBytesAreHashMismatchNamingBothDigests) {
  auto data = test::random_bytes(100, 4);
  const auto want = sha256_of(data);
  data[50] ^= std::byte{1};
  MemorySink out(1 << 20);
  DigestCheck check(out, "payload p", 100, want);
  ASSERT_TRUE(check.write(data));
  auto r = check.finish();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::HashMismatch);
  EXPECT_NE(r.error().message().find("payload p: sha256 is "), std::string::npos);
  EXPECT_FALSE(out.finished());
}

TEST(DigestCheck, Sha512MismatchIsCaughtEvenWhenSha256Matches) {
  const auto data = test::random_bytes(100, 5);
  ExpectedDigests e{digest_of(HashAlgorithm::Sha256, data),
                    digest_of(HashAlgorithm::Sha512, test::as_bytes("other"))};
  MemorySink out(1 << 20);
  DigestCheck check(out, "p", 100, e);
  ASSERT_TRUE(check.write(data));
  auto r = check.finish();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("sha512"), std::string::npos);
}

TEST(DigestCheck, SaveAndRestoreContinue) {
  const auto data = test::random_bytes(5000, 6);
  MemorySink out1(1 << 20);
  DigestCheck first(out1, "p", data.size(), sha256_of(data));
  ASSERT_TRUE(first.write(std::span(data).first(1234)));
  MemorySink out2(1 << 20);
  DigestCheck second(out2, "p", data.size(), sha256_of(data));
  ASSERT_TRUE(second.restore(1234, first.save()));
  ASSERT_TRUE(second.write(std::span(data).subspan(1234)));
  EXPECT_TRUE(second.finish());
}

}  // namespace
}  // namespace ratchet::streaming
