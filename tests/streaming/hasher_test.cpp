#include "streaming/hasher.hpp"

#include <gtest/gtest.h>

#include "common/hex.hpp"
#include "tests/support/data.hpp"

namespace ratchet::streaming {
namespace {

TEST(Hasher, KnownVectors) {
  EXPECT_EQ(to_hex(digest_of(HashAlgorithm::Sha256, test::as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(digest_of(HashAlgorithm::Sha512, test::as_bytes("abc"))),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(to_hex(digest_of(HashAlgorithm::Sha256, {})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Hasher, SavedStateContinuesExactly) {
  const auto data = test::random_bytes(100003, 7);
  for (auto alg : {HashAlgorithm::Sha256, HashAlgorithm::Sha512}) {
    for (std::size_t split : {0UL, 1UL, 63UL, 64UL, 65UL, 50000UL, 100003UL}) {
      Hasher first(alg);
      first.update(std::span(data).first(split));
      auto resumed = Hasher::restore(alg, first.save());
      ASSERT_TRUE(resumed) << resumed.error().to_string();
      resumed->update(std::span(data).subspan(split));
      EXPECT_EQ(resumed->finish(), digest_of(alg, data)) << hash_name(alg) << " split " << split;
    }
  }
}

TEST(Hasher, RestoreRejectsGarbage) {
  EXPECT_EQ(Hasher::restore(HashAlgorithm::Sha256, "short").error().code(), Code::BadConfig);
  Hasher h(HashAlgorithm::Sha256);
  std::string state = h.save();
  EXPECT_EQ(Hasher::restore(HashAlgorithm::Sha512, state).error().code(), Code::BadConfig);
  state[state.size() - 8] = '\x7f';  // num >= block size
  EXPECT_EQ(Hasher::restore(HashAlgorithm::Sha256, state).error().code(), Code::BadConfig);
}

}  // namespace
}  // namespace ratchet::streaming

namespace ratchet::streaming {
namespace {

TEST(Hasher, ResetAndFinishIntoReuseTheState) {
  Hasher h(HashAlgorithm::Sha256);
  h.update(test::as_bytes("something else"));
  h.reset();
  h.update(test::as_bytes("abc"));
  std::array<std::byte, 32> out{};
  h.finish_into(out);
  EXPECT_EQ(to_hex(out), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace ratchet::streaming
