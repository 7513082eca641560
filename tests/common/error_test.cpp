#include "common/error.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace ratchet {
namespace {

TEST(Error, NameKindAndMessage) {
  Error e(Code::HashMismatch, "targets.json: sha256 differs");
  EXPECT_EQ(e.name(), "HashMismatch");
  EXPECT_EQ(e.kind(), ErrorKind::Security);
  EXPECT_EQ(e.to_string(), "HashMismatch: targets.json: sha256 differs");
}

TEST(Error, ContextPrefixesMessageAndKeepsCode) {
  Error e(Code::Io, "short read");
  e.context("/var/lib/ratchet/state").context("load");
  EXPECT_EQ(e.code(), Code::Io);
  EXPECT_EQ(e.message(), "load: /var/lib/ratchet/state: short read");
}

TEST(Error, CodeNamesAreUniqueAndKnown) {
  std::set<std::string_view> names;
  std::size_t count = 0;
#define RATCHET_X(name, kind)                        \
  EXPECT_EQ(code_name(Code::name), #name);           \
  EXPECT_EQ(code_kind(Code::name), ErrorKind::kind); \
  names.insert(code_name(Code::name));               \
  ++count;
  RATCHET_ERROR_CODES(RATCHET_X)
#undef RATCHET_X
  EXPECT_EQ(names.size(), count);
  EXPECT_EQ(code_name(static_cast<Code>(60000)), "Unknown");
  EXPECT_EQ(code_kind(static_cast<Code>(60000)), ErrorKind::Internal);
}

// The codes outside test suites match on: renaming one is a breaking change.
TEST(Error, PublicCodesKeepTheirNames) {
  EXPECT_EQ(code_name(Code::ExpiredMetadata), "ExpiredMetadata");
  EXPECT_EQ(code_name(Code::RollbackAttempt), "RollbackAttempt");
  EXPECT_EQ(code_name(Code::ThresholdNotMet), "ThresholdNotMet");
  EXPECT_EQ(code_name(Code::SlowRetrieval), "SlowRetrieval");
  EXPECT_EQ(code_kind(Code::SlowRetrieval), ErrorKind::Transient);
  EXPECT_EQ(code_name(Code::StateForged), "StateForged");
}

}  // namespace
}  // namespace ratchet
