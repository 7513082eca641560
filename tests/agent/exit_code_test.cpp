#include "agent/cli/exit_code.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

#include "agent/cli/app.hpp"

namespace ratchet::cli {
namespace {

TEST(ExitCode, FollowsTheErrorKind) {
  EXPECT_EQ(exit_code_for(Error(Code::BadSignature, "")), ExitCode::Security);
  EXPECT_EQ(exit_code_for(Error(Code::Network, "")), ExitCode::Transient);
  EXPECT_EQ(exit_code_for(Error(Code::Tpm, "")), ExitCode::Local);
  EXPECT_EQ(exit_code_for(Error(Code::BadConfig, "")), ExitCode::Usage);
  EXPECT_EQ(exit_code_for(Error(Code::Busy, "")), ExitCode::Busy);
  EXPECT_EQ(exit_code_for(Error(Code::Internal, "")), ExitCode::Internal);
}

TEST(ExitCode, AnEscapedExceptionIsInternal) {
  EXPECT_EQ(guarded([]() -> int { throw std::runtime_error("a bug"); }), 70);
  EXPECT_EQ(guarded([]() -> int { throw 42; }), 70);
  EXPECT_EQ(guarded([] { return 10; }), 10);
}

}  // namespace
}  // namespace ratchet::cli
